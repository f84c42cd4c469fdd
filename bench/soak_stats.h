// Counting a soak's outcomes and reading its gateways from /proc, for
// bench/soak.cc: what became of each call, which processes are workers,
// and what a gateway leaves behind (processes, zombies, cgroups, fds).
#pragma once

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "bench/mcp_client.h"
#include "common/proc.h"

namespace soak {

using bench::json;
using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// What became of one call. `failed` is what must never happen: no answer,
// a broken transport, or an answer that is not the call's.
enum class Kind { ok, clean, failed, abandoned };

// Answer latencies in buckets an eighth of a power of two wide (9% apart),
// from 1 us to about 4000 s: percentiles without keeping a million samples.
struct Histogram {
  static constexpr int kBuckets = 8 * 32;
  std::atomic<long> n[kBuckets] = {};
  std::atomic<long> max_us{0};
  void add(double us) {
    int b = us <= 1 ? 0 : std::min(kBuckets - 1, int(std::log2(us) * 8));
    ++n[b];
    long u = long(us), m = max_us;
    while (u > m && !max_us.compare_exchange_weak(m, u)) {
    }
  }
  double quantile_ms(double q) const {
    long total = 0;
    for (auto& c : n) total += c;
    long seen = 0;
    for (int b = 0; b < kBuckets; ++b)
      if ((seen += n[b]) > q * double(total)) return std::exp2((b + 1) / 8.0) / 1000;
    return 0;
  }
};

// Calls of one transport, by outcome; clean errors and failures by reason.
struct Tally {
  Histogram latency;  // of answered calls
  std::atomic<long> ok{0}, abandoned{0}, answered{0};
  std::mutex mu;
  std::map<std::string, long> clean, failed;
  std::map<std::string, std::string> failed_example;  // the first answer of each failure

  void add(Kind k, const std::string& reason = "", const std::string& example = "") {
    if (k == Kind::abandoned) {
      ++abandoned;
      return;
    }
    if (k != Kind::failed) ++answered;
    if (k == Kind::ok) {
      ++ok;
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    if (k == Kind::clean) {
      ++clean[reason];
      return;
    }
    if (++failed[reason] == 1) failed_example[reason] = example.substr(0, 300);
  }
  static long sum(const std::map<std::string, long>& m) {
    long n = 0;
    for (auto& [_, v] : m) n += v;
    return n;
  }
  long clean_total() {
    std::lock_guard<std::mutex> lock(mu);
    return sum(clean);
  }
  long failed_total() {
    std::lock_guard<std::mutex> lock(mu);
    return sum(failed);
  }
};

// A reason short enough to count by: pids, sizes and ids become N, so that
// "worker 4711 died" and "worker 4712 died" are one reason.
inline std::string short_reason(std::string t) {
  for (const char* p : {"The tool's ", "The tool "})
    if (t.rfind(p, 0) == 0) t.erase(0, strlen(p));
  std::string out;
  for (char c : t) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (out.empty() || out.back() != 'N') out += 'N';
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
  if (out.size() > 80) out = out.substr(0, 77) + "...";
  return out;
}

inline std::string text_of(const json& result) {
  auto c = result.find("content");
  if (c == result.end() || !c->is_array() || c->empty() || !(*c)[0].is_object()) return "";
  auto t = (*c)[0].find("text");
  return t != (*c)[0].end() && t->is_string() ? t->get<std::string>() : "";
}

// One JSON-RPC answer to a tools/call of item `want`. An ok result must
// carry that item: a pooled worker mixing up calls would show here.
inline std::pair<Kind, std::string> classify(const json& r, long want) {
  if (!r.is_object()) return {Kind::failed, "unparseable answer"};
  if (auto e = r.find("error"); e != r.end()) {
    if (!e->is_object()) return {Kind::failed, "malformed JSON-RPC error"};
    std::string msg = e->contains("message") && (*e)["message"].is_string()
                          ? (*e)["message"].get<std::string>()
                          : "";
    long code = e->contains("code") && (*e)["code"].is_number() ? (*e)["code"].get<long>() : 0;
    return {Kind::clean, "JSON-RPC " + std::to_string(code) + " " + short_reason(msg)};
  }
  auto res = r.find("result");
  if (res == r.end() || !res->is_object()) return {Kind::failed, "answer without result or error"};
  if (res->value("isError", false))
    return {Kind::clean, "tool error: " + short_reason(text_of(*res))};
  auto sc = res->find("structuredContent");
  if (sc == res->end() || !sc->is_object() || !sc->contains("id") ||
      !(*sc)["id"].is_number_integer() || (*sc)["id"].get<long>() != want)
    return {Kind::failed, "wrong answer (not the item asked for)"};
  return {Kind::ok, ""};
}

// --- processes -------------------------------------------------------------------

inline std::string argv0(pid_t p) {
  std::string cmd = toolgate::read_proc_text("/proc/" + std::to_string(p) + "/cmdline");
  return cmd.substr(0, cmd.find('\0'));
}

// A worker is a process whose argv[0] ends in toolgate-worker; the
// contained process of a pooled HTTP worker is a fork of it and counts too
// (it is the idle pool, not a leftover of a call).
inline bool is_worker(pid_t p) {
  std::string a = argv0(p);
  const std::string w = "toolgate-worker";
  return a.size() >= w.size() && a.compare(a.size() - w.size(), w.size(), w) == 0;
}

inline std::vector<pid_t> worker_children(pid_t gw) {
  std::vector<pid_t> out;
  for (pid_t p : toolgate::child_pids(gw))
    if (is_worker(p)) out.push_back(p);
  return out;
}

inline char proc_state(pid_t p) {
  std::string stat = toolgate::read_proc_text("/proc/" + std::to_string(p) + "/stat");
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
}

// Field 22 of /proc/PID/stat: tells a process from a later one with its pid.
inline unsigned long long start_time(pid_t p) {
  std::string stat = toolgate::read_proc_text("/proc/" + std::to_string(p) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream is(stat.substr(close + 2));
  std::string f;
  for (int i = 3; i <= 22 && is >> f; ++i) {
  }
  return std::strtoull(f.c_str(), nullptr, 10);
}

// Fields 14 to 17 of /proc/PID/stat in seconds: user and system time of the
// process, and of its children it has reaped (the workers).
struct CpuTimes {
  double user = 0, sys = 0, child_user = 0, child_sys = 0;
};
inline CpuTimes cpu_times(pid_t p) {
  std::string stat = toolgate::read_proc_text("/proc/" + std::to_string(p) + "/stat");
  auto close = stat.rfind(')');
  CpuTimes c;
  if (close == std::string::npos) return c;
  std::istringstream is(stat.substr(close + 2));
  std::string f;
  double hz = double(::sysconf(_SC_CLK_TCK)), v[4] = {0, 0, 0, 0};
  for (int i = 3; i <= 17 && is >> f; ++i)
    if (i >= 14) v[i - 14] = std::atof(f.c_str()) / hz;
  return {v[0], v[1], v[2], v[3]};
}

inline int zombie_children(pid_t gw) {
  int n = 0;
  for (pid_t c : toolgate::child_pids(gw)) n += proc_state(c) == 'Z';
  return n;
}

// Descendants that are not workers: what a call left running. Zombies have
// no cmdline; they are counted as such (zombie_children), not here.
inline std::vector<std::string> stray_descendants(pid_t gw) {
  std::vector<std::string> out;
  for (pid_t p : toolgate::descendant_pids(gw))
    if (!is_worker(p) && proc_state(p) != 'Z') out.push_back(std::to_string(p) + " " + argv0(p));
  return out;
}

inline int fd_count(pid_t p) {
  DIR* d = ::opendir(("/proc/" + std::to_string(p) + "/fd").c_str());
  if (!d) return 0;
  int n = 0;
  while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n;
}

// The directories the gateway's workers make their call cgroups in,
// "toolgate-<gateway>-w<worker>" (worker/sandbox/cgroup.cc).
inline std::vector<std::string> cgroup_parents(pid_t gw) {
  auto lines = toolgate::parse_proc_cgroup(
      toolgate::read_proc_text("/proc/" + std::to_string(gw) + "/cgroup"));
  return toolgate::call_cgroup_parents(lines);
}

// Call cgroups of `gw` whose worker is not its child any more (all of them
// once the gateway is gone).
inline std::vector<std::string> orphaned_cgroups(pid_t gw,
                                                 const std::vector<std::string>& parents) {
  std::set<pid_t> live;
  for (pid_t w : toolgate::child_pids(gw)) live.insert(w);
  std::string prefix = "toolgate-" + std::to_string(gw) + "-w";
  std::vector<std::string> out;
  for (const auto& root : parents) {
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(root, ec)) {
      std::string name = e.path().filename().string();
      if (name.rfind(prefix, 0) != 0) continue;
      if (!live.count(pid_t(std::atoi(name.c_str() + prefix.size())))) out.push_back(e.path());
    }
  }
  return out;
}

// One gateway at one moment.
struct ProcStat {
  long rss_kb = 0, threads = 0, fds = 0, descendants = 0;
};

inline ProcStat proc_stat(pid_t p) {
  ProcStat s;
  if (p <= 0) return s;
  s.rss_kb = bench::status_kb(p, "VmRSS:");
  s.threads = bench::status_kb(p, "Threads:");
  s.fds = fd_count(p);
  s.descendants = long(toolgate::descendant_pids(p).size());
  return s;
}

// What a gateway leaves behind, at the end of a quiet period.
struct Leaks {
  std::vector<std::string> strays, cgroups;
  int zombies = 0;
  long fd_growth = 0;
  long total() const {
    return long(strays.size() + cgroups.size()) + zombies + std::max(0L, fd_growth);
  }
};

inline Leaks leaks_of(pid_t gw, const std::vector<std::string>& parents, long baseline_fds) {
  Leaks l;
  l.strays = stray_descendants(gw);
  l.cgroups = orphaned_cgroups(gw, parents);
  l.zombies = zombie_children(gw);
  l.fd_growth = fd_count(gw) - baseline_fds;
  return l;
}

// Leaks, polled for up to `ms` while any remain: a worker killed just
// before the quiet period may still be on its way out.
inline Leaks settled_leaks(pid_t gw, const std::vector<std::string>& parents, long baseline_fds,
                           int ms) {
  auto end = Clock::now() + std::chrono::milliseconds(ms);
  Leaks l = leaks_of(gw, parents, baseline_fds);
  while (l.total() > 0 && Clock::now() < end) {
    ::usleep(100000);
    l = leaks_of(gw, parents, baseline_fds);
  }
  return l;
}

// How a gateway ended: `trigger` (closing its stdin, a SIGTERM) asks it to;
// it must exit within 5 s (else it is killed) and leave no descendant and
// no call cgroup behind.
struct ExitCheck {
  pid_t pid = 0;
  int ms = 0, status = 0;
  bool in_time = false;
  std::string dump;
  std::vector<std::string> left, cgroups;
  std::vector<std::string> problems() const {
    std::vector<std::string> out;
    if (!in_time) out.push_back("did not exit within 5 s; killed");
    if (in_time && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
      out.push_back("ended with wait status " + std::to_string(status));
    for (auto& l : left) out.push_back("left process " + l);
    for (auto& g : cgroups) out.push_back("left cgroup " + g);
    return out;
  }
};

// A gateway that does not exit in time gets its threads' stacks written to
// `dump_dir`/hang-PID.txt (when gdb is there) before it is killed.
template <typename Trigger>
ExitCheck end_and_check(pid_t p, const std::vector<std::string>& parents,
                        const std::string& dump_dir, Trigger trigger) {
  ExitCheck x;
  x.pid = p;
  // Every descendant seen until the exit, with its start time, so that a
  // later process with a reused pid is not taken for it.
  std::map<pid_t, unsigned long long> seen;
  auto note = [&] {
    for (pid_t d : toolgate::descendant_pids(p)) seen.emplace(d, start_time(d));
  };
  note();
  trigger();
  auto t0 = Clock::now();
  while (seconds_since(t0) < 5 && !x.in_time) {
    if (::waitpid(p, &x.status, WNOHANG) == p) {
      x.in_time = true;
    } else {
      note();
      ::usleep(10000);
    }
  }
  x.ms = int(seconds_since(t0) * 1000);
  if (!x.in_time) {
    x.dump = dump_dir + "/hang-" + std::to_string(p) + ".txt";
    std::string gdb = "gdb -p " + std::to_string(p) + " -batch -ex 'thread apply all bt' >" +
                      x.dump + " 2>&1 </dev/null";
    if (std::system(gdb.c_str()) != 0) x.dump += " (gdb failed)";
    ::kill(p, SIGKILL);
    ::waitpid(p, &x.status, 0);
  }
  auto alive = [&] {
    std::vector<std::string> out;
    for (auto [d, st] : seen)
      if (st != 0 && start_time(d) == st)
        out.push_back(std::to_string(d) + " " + argv0(d) + " (state " + proc_state(d) + ")");
    return out;
  };
  // Workers notice their gateway is gone by their socket: give them a moment.
  auto t1 = Clock::now();
  do {
    x.left = alive();
    x.cgroups = orphaned_cgroups(p, parents);
    if (x.left.empty() && x.cgroups.empty()) break;
    ::usleep(50000);
  } while (seconds_since(t1) < 3);
  return x;
}

}  // namespace soak
