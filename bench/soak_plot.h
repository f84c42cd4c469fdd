// The soak's samples over time, as a CSV and as a hand-written SVG plot
// (RSS and thread count of both gateways), for bench/soak.cc. No plotting
// dependency: the plot is polylines, ticks and a legend.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/soak_stats.h"

namespace soak {

// Once a second, both gateways.
struct Sample {
  double t = 0;
  long http_calls = 0, stdio_calls = 0;
  pid_t http_pid = 0, stdio_pid = 0;  // the stdio gateway is restarted: its pid changes
  ProcStat http, stdio;
};

inline bool write_csv(const std::string& path, const std::vector<Sample>& v) {
  std::ofstream f(path);
  f << "elapsed_s,http_calls,http_pid,http_rss_kb,http_threads,http_fds,http_descendants,"
       "stdio_calls,stdio_pid,stdio_rss_kb,stdio_threads,stdio_fds,stdio_descendants\n";
  for (const Sample& s : v) {
    char line[512];
    std::snprintf(line, sizeof line, "%.1f,%ld,%d,%ld,%ld,%ld,%ld,%ld,%d,%ld,%ld,%ld,%ld\n", s.t,
                  s.http_calls, s.http_pid, s.http.rss_kb, s.http.threads, s.http.fds,
                  s.http.descendants, s.stdio_calls, s.stdio_pid, s.stdio.rss_kb, s.stdio.threads,
                  s.stdio.fds, s.stdio.descendants);
    f << line;
  }
  return bool(f);
}

// A round axis maximum at or above `v` whose fifths are round too.
inline double nice_max(double v) {
  if (v <= 0) return 1;
  double p = std::pow(10, std::floor(std::log10(v)));
  for (double m : {1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0})
    if (m * p >= v) return m * p;
  return 10 * p;
}

struct Panel {
  double x0, y0, w, h;  // plot area, pixels
  double xmax, ymax;    // data ranges (from 0)
  double px(double x) const { return x0 + w * x / xmax; }
  double py(double y) const { return y0 + h - h * y / ymax; }
};

// Axes, five ticks a side with labels, and the axis titles.
inline void svg_axes(std::ostringstream& o, const Panel& p, const std::string& ylabel,
                     const std::string& xlabel) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "<rect x='%.0f' y='%.0f' width='%.0f' height='%.0f' fill='none' stroke='#333'/>\n",
                p.x0, p.y0, p.w, p.h);
  o << buf;
  for (int i = 0; i <= 5; ++i) {
    double yv = p.ymax * i / 5, xv = p.xmax * i / 5;
    std::snprintf(buf, sizeof buf,
                  "<line x1='%.0f' y1='%.1f' x2='%.0f' y2='%.1f' stroke='#ddd'/>"
                  "<text x='%.0f' y='%.1f' text-anchor='end' font-size='11'>%g</text>\n",
                  p.x0, p.py(yv), p.x0 + p.w, p.py(yv), p.x0 - 6, p.py(yv) + 4, yv);
    o << buf;
    std::snprintf(buf, sizeof buf,
                  "<text x='%.1f' y='%.0f' text-anchor='middle' font-size='11'>%g</text>\n",
                  p.px(xv), p.y0 + p.h + 16, std::round(xv));
    o << buf;
  }
  std::snprintf(buf, sizeof buf,
                "<text x='%.0f' y='%.0f' text-anchor='middle' font-size='12' "
                "transform='rotate(-90 %.0f %.0f)'>%s</text>\n",
                p.x0 - 48, p.y0 + p.h / 2, p.x0 - 48, p.y0 + p.h / 2, ylabel.c_str());
  o << buf;
  std::snprintf(buf, sizeof buf,
                "<text x='%.0f' y='%.0f' text-anchor='middle' font-size='12'>%s</text>\n",
                p.x0 + p.w / 2, p.y0 + p.h + 34, xlabel.c_str());
  o << buf;
}

// One polyline per stretch of samples in which the gateway was up: the
// stdio one is absent between a stdin close and its successor's start.
template <typename Get>
void svg_line(std::ostringstream& o, const Panel& p, const std::vector<Sample>& v, Get get,
              const char* color) {
  char buf[64];
  bool open = false;
  for (const Sample& s : v) {
    double y = get(s);
    if (y <= 0) {
      if (open) o << "'/>\n";
      open = false;
      continue;
    }
    if (!open) o << "<polyline fill='none' stroke-width='1.5' stroke='" << color << "' points='";
    open = true;
    std::snprintf(buf, sizeof buf, "%.1f,%.1f ", p.px(s.t), p.py(y));
    o << buf;
  }
  if (open) o << "'/>\n";
}

// Dashed verticals where a new stdio gateway came up (after a client
// disconnect): its RSS and threads start over there.
inline void svg_restarts(std::ostringstream& o, const Panel& p, const std::vector<Sample>& v) {
  char buf[192];
  pid_t last = 0;
  for (const Sample& s : v) {
    if (s.stdio_pid == 0 || s.stdio_pid == last) continue;
    if (last != 0) {
      std::snprintf(buf, sizeof buf,
                    "<line x1='%.1f' y1='%.0f' x2='%.1f' y2='%.0f' stroke='#999' "
                    "stroke-dasharray='4 3'/>\n",
                    p.px(s.t), p.y0, p.px(s.t), p.y0 + p.h);
      o << buf;
    }
    last = s.stdio_pid;
  }
}

inline void svg_legend(std::ostringstream& o, double x, double y) {
  const char* names[] = {"http gateway", "stdio gateway", "stdio gateway restarted"};
  const char* colors[] = {"#1f77b4", "#ff7f0e", "#999"};
  o << "<rect x='" << x << "' y='" << y
    << "' width='190' height='62' fill='white' stroke='#999'/>\n";
  for (int i = 0; i < 3; ++i) {
    double ly = y + 16 + 18 * i;
    o << "<line x1='" << x + 8 << "' y1='" << ly << "' x2='" << x + 36 << "' y2='" << ly
      << "' stroke='" << colors[i] << "' stroke-width='2'"
      << (i == 2 ? " stroke-dasharray='4 3'" : "") << "/>";
    o << "<text x='" << x + 44 << "' y='" << ly + 4 << "' font-size='12'>" << names[i]
      << "</text>\n";
  }
}

inline bool write_svg(const std::string& path, const std::vector<Sample>& v,
                      const std::string& title) {
  double tmax = 1, rmax = 1, thmax = 1;
  for (const Sample& s : v) {
    tmax = std::max(tmax, s.t);
    rmax = std::max({rmax, s.http.rss_kb / 1024.0, s.stdio.rss_kb / 1024.0});
    thmax = std::max({thmax, double(s.http.threads), double(s.stdio.threads)});
  }
  Panel rss{80, 50, 700, 220, nice_max(tmax), nice_max(rmax * 1.1)};
  Panel thr{80, 340, 700, 220, nice_max(tmax), nice_max(thmax * 1.1)};
  std::ostringstream o;
  o << "<svg xmlns='http://www.w3.org/2000/svg' width='1010' height='620' "
       "font-family='sans-serif'>\n<rect width='1010' height='620' fill='white'/>\n";
  o << "<text x='430' y='28' text-anchor='middle' font-size='15'>" << title << "</text>\n";
  svg_axes(o, rss, "RSS (MB)", "elapsed (s)");
  svg_axes(o, thr, "threads", "elapsed (s)");
  for (const Panel* p : {&rss, &thr}) svg_restarts(o, *p, v);
  svg_line(
      o, rss, v, [](const Sample& s) { return s.http.rss_kb / 1024.0; }, "#1f77b4");
  svg_line(
      o, rss, v, [](const Sample& s) { return s.stdio.rss_kb / 1024.0; }, "#ff7f0e");
  svg_line(
      o, thr, v, [](const Sample& s) { return double(s.http.threads); }, "#1f77b4");
  svg_line(
      o, thr, v, [](const Sample& s) { return double(s.stdio.threads); }, "#ff7f0e");
  svg_legend(o, 800, 50);
  o << "</svg>\n";
  std::ofstream f(path);
  f << o.str();
  return bool(f);
}

}  // namespace soak
