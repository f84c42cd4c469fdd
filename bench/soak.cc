// Soak: a million tools/call over Streamable HTTP and stdio while workers
// are killed and clients disconnect at random (bench/README.md).
//
//   build/bench_soak [--calls N] [--mode pooled|per_call] [--smoke] ...  (--help)
//
// It starts the REST floor (bench/mcp_client.h) and two `toolgate serve`
// gateways exposing its GET /items/{id} as a tool: one over HTTP, driven by
// K client threads (one session each, kept alive), one over stdio with
// several calls in flight. A chaos thread SIGKILLs a random worker of a
// random gateway every --kill-ms; HTTP clients now and then close their
// socket before the answer; the stdio client closes the gateway's stdin
// every --stdio-restart calls and starts a new one. Every call the client
// did not abandon must be answered: ok, or a clean error (counted by
// reason). Once a second it samples each gateway's RSS, threads, fds and
// descendants (CSV and SVG). At the end, after a quiet period, it counts
// what leaked: non-worker descendants, zombies, orphaned call cgroups, fd
// growth over the warm baseline. Exit status 1 when anything leaked or any
// call went unanswered.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include "bench/bench_proc.h"
#include "bench/mcp_client.h"
#include "bench/soak_http.h"
#include "bench/soak_plot.h"
#include "bench/soak_stats.h"
#include "bench/soak_stdio.h"

using namespace soak;

namespace {

struct Options {
  long calls = 1000000;
  double stdio_share = 0.25;
  int http_clients = 8, stdio_inflight = 8, kill_ms = 200;
  double disconnect = 0.005, reset = 0.5;
  long stdio_restart = 100000;
  std::string log_level = "warning", mode = "pooled", csv = "/tmp/soak.csv", svg = "/tmp/soak.svg";
  double warmup_s = 5, settle_s = 2;
  bool smoke = false;
};

const char* kUsage =
    "usage: bench_soak [options]\n"
    "  --calls N           tools/call in all, HTTP and stdio together (default 1000000)\n"
    "  --stdio-share F     the share of them sent over stdio (default 0.25)\n"
    "  --http-clients K    HTTP client threads, one MCP session each (default 8)\n"
    "  --stdio-inflight M  stdio calls in flight at once (default 8)\n"
    "  --mode M            workers.mode: pooled | per_call (default pooled)\n"
    "  --kill-ms MS        SIGKILL a random worker this often, 0 = never (default 200)\n"
    "  --disconnect P      chance an HTTP call is abandoned mid-way (default 0.005)\n"
    "  --reset F           the share of those closed with a reset, not a FIN (default 0.5)\n"
    "  --stdio-restart N   close the stdio gateway's stdin every N calls (default 100000)\n"
    "  --log-level L       the gateways' log level (default warning; their logs are kept on "
    "failure)\n"
    "  --csv PATH          samples, one a second (default /tmp/soak.csv)\n"
    "  --svg PATH          RSS and threads over time (default /tmp/soak.svg)\n"
    "  --smoke             a short run (3000 calls) with the same checks, for CI\n"
    "Exit status 1 when a call went unanswered or anything leaked.\n";

bool parse(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&] { return i + 1 < argc ? argv[++i] : nullptr; };
    if (a == "--smoke") {
      o->smoke = true;
      o->calls = 3000, o->stdio_restart = 400, o->kill_ms = 100, o->disconnect = 0.02;
      o->warmup_s = 1, o->settle_s = 1;
      continue;
    }
    const char* v = a == "--help" ? nullptr : val();
    if (!v) return false;
    if (a == "--calls")
      o->calls = std::atol(v);
    else if (a == "--stdio-share")
      o->stdio_share = std::atof(v);
    else if (a == "--http-clients")
      o->http_clients = std::max(1, std::atoi(v));
    else if (a == "--stdio-inflight")
      o->stdio_inflight = std::max(1, std::atoi(v));
    else if (a == "--mode")
      o->mode = v;
    else if (a == "--kill-ms")
      o->kill_ms = std::atoi(v);
    else if (a == "--disconnect")
      o->disconnect = std::atof(v);
    else if (a == "--log-level")
      o->log_level = v;
    else if (a == "--reset")
      o->reset = std::atof(v);
    else if (a == "--stdio-restart")
      o->stdio_restart = std::max(1L, std::atol(v));
    else if (a == "--csv")
      o->csv = v;
    else if (a == "--svg")
      o->svg = v;
    else
      return false;
  }
  return o->mode == "pooled" || o->mode == "per_call";
}

std::string write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

// Log level warning by default: an info line per call would be a million
// lines of log.
std::string gateway_config(const std::string& dir, int up_port, const Options& o) {
  return "server: {http_threads: 32, log_level: " + o.log_level +
         "}\n"
         "workers: {mode: " +
         o.mode +
         ", max_concurrent: 32, prespawn: 4}\n"
         "sources:\n  - name: items\n    type: openapi\n    spec: " +
         dir +
         "/spec.yaml\n"
         "    base_url: http://127.0.0.1:" +
         std::to_string(up_port) + "\n";
}

// Everything the threads share.
struct Run {
  Options opt;
  std::string dir;
  std::atomic<long> next_item{1};
  pid_t http_pid = 0;
  std::vector<std::string> http_cgroups;
  std::atomic<bool> http_quiet{false}, stop_chaos{false}, stop_sampling{false};
  std::atomic<long> kills[2] = {0, 0};  // http, stdio
  HttpLoad http;
  std::unique_ptr<StdioDriver> stdio;
  Clock::time_point t0 = Clock::now();
  std::mutex samples_mu;
  std::vector<Sample> samples;
};

// Every --kill-ms, SIGKILL one worker of one gateway, both picked at
// random; a gateway taking its baseline is left alone.
void chaos(Run& r) {
  std::mt19937 rng(4242);
  while (!r.stop_chaos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(r.opt.kill_ms));
    int which = int(rng() % 2);
    pid_t gw =
        which == 0 ? (r.http_quiet ? 0 : r.http_pid) : (r.stdio->quiet() ? 0 : r.stdio->pid());
    if (gw <= 0) continue;
    std::vector<pid_t> ws = worker_children(gw);
    if (ws.empty()) continue;
    pid_t w = ws[rng() % ws.size()];
    if (is_worker(w) && ::kill(w, SIGKILL) == 0) ++r.kills[which];
  }
}

void sample_loop(Run& r) {
  for (int tick = 1; !r.stop_sampling; ++tick) {
    auto due = r.t0 + std::chrono::seconds(tick);
    while (Clock::now() < due && !r.stop_sampling) ::usleep(20000);
    Sample s;
    s.t = seconds_since(r.t0);
    s.http_calls = r.http.done;
    s.stdio_calls = r.stdio->done;
    s.http_pid = r.http_pid;
    s.stdio_pid = r.stdio->pid();
    s.http = proc_stat(s.http_pid);
    s.stdio = proc_stat(s.stdio_pid);
    std::lock_guard<std::mutex> lock(r.samples_mu);
    r.samples.push_back(s);
  }
}

// The HTTP gateway's fd baseline: once it is warm, the clients pause and
// the chaos thread leaves it alone until the pool has settled.
long http_baseline(Run& r, const std::atomic<bool>& http_done) {
  while (seconds_since(r.t0) < r.opt.warmup_s && !http_done) ::usleep(50000);
  r.http.gate.close();
  r.http_quiet = true;
  ::usleep(useconds_t(r.opt.settle_s * 1e6));
  long fds = fd_count(r.http_pid);
  r.http_quiet = false;
  r.http.gate.open();
  return fds;
}

struct Rss {
  long first = 0, peak = 0, last = 0, th_first = 0, th_peak = 0, th_last = 0;
  double q2 = 0, q4 = 0;  // mean RSS of the second and the last quarter, kB
  double growth() const { return q2 > 0 ? 100 * (q4 - q2) / q2 : 0; }
};

// Samples without the gateway (the stdio one between restarts) are skipped.
Rss rss_of(const std::vector<Sample>& v, bool http) {
  Rss r;
  double tmax = v.empty() ? 0 : v.back().t, s2 = 0, s4 = 0;
  int n2 = 0, n4 = 0;
  for (const Sample& s : v) {
    const ProcStat& p = http ? s.http : s.stdio;
    if (p.rss_kb == 0) continue;
    if (r.first == 0) r.first = p.rss_kb, r.th_first = p.threads;
    r.peak = std::max(r.peak, p.rss_kb);
    r.th_peak = std::max(r.th_peak, p.threads);
    r.last = p.rss_kb, r.th_last = p.threads;
    if (s.t >= tmax / 4 && s.t < tmax / 2) s2 += double(p.rss_kb), ++n2;
    if (s.t >= tmax * 3 / 4) s4 += double(p.rss_kb), ++n4;
  }
  r.q2 = n2 ? s2 / n2 : 0;
  r.q4 = n4 ? s4 / n4 : 0;
  return r;
}

}  // namespace

// --- the report ------------------------------------------------------------------------

namespace {

struct Outcome {
  double seconds = 0, http_s = 0, stdio_s = 0;
  Leaks http_leaks, stdio_leaks;
  ExitCheck http_exit;
  CpuTimes http_cpu, stdio_cpu;  // at the end, of the HTTP and the last stdio gateway
  long http_baseline_fds = 0;
};

void print_reasons(Run& r) {
  std::map<std::string, std::pair<long, long>> by;  // reason -> http, stdio
  for (auto& [k, v] : r.http.tally.clean) by[k].first += v;
  for (auto& [k, v] : r.stdio->tally.clean) by[k].second += v;
  std::vector<std::pair<std::string, std::pair<long, long>>> rows(by.begin(), by.end());
  std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) {
    return a.second.first + a.second.second > b.second.first + b.second.second;
  });
  std::printf(
      "clean errors by reason                                                      http    "
      "stdio\n");
  for (auto& [k, v] : rows) std::printf("  %-72s %8ld %8ld\n", k.c_str(), v.first, v.second);
  if (rows.empty()) std::printf("  (none)\n");
  for (Tally* t : {&r.http.tally, &r.stdio->tally}) {
    for (auto& [k, v] : t->failed)
      std::printf("FAILED (%s): %ld x %s; first: %s\n", t == &r.http.tally ? "http" : "stdio", v,
                  k.c_str(), t->failed_example[k].c_str());
  }
}

void print_leaks(const char* name, const Leaks& l, long baseline) {
  std::printf(
      "leaks, %s gateway: %zu stray processes, %d zombies, %zu orphaned cgroups, fd growth %+ld "
      "(baseline %ld)\n",
      name, l.strays.size(), l.zombies, l.cgroups.size(), l.fd_growth, baseline);
  for (auto& s : l.strays) std::printf("  stray: %s\n", s.c_str());
  for (auto& c : l.cgroups) std::printf("  cgroup: %s\n", c.c_str());
}

void print_memory(const char* name, const Rss& m) {
  std::printf(
      "%-6s RSS MB start %.1f peak %.1f end %.1f; mean 2nd quarter %.1f, last quarter %.1f: "
      "%+.1f%%; threads start %ld peak %ld end %ld\n",
      name, m.first / 1024.0, m.peak / 1024.0, m.last / 1024.0, m.q2 / 1024, m.q4 / 1024,
      m.growth(), m.th_first, m.th_peak, m.th_last);
}

// The summary; true when nothing went unanswered and nothing leaked.
bool report(Run& r, const Outcome& o) {
  StdioDriver& s = *r.stdio;
  long http_ans = r.http.tally.answered, stdio_ans = s.tally.answered;
  long failed = r.http.tally.failed_total() + s.tally.failed_total();
  long all = r.http.done + s.calls_sent;
  std::printf(
      "\nsoak, workers.mode %s: %ld calls in %.1f s = %.0f calls/s (http %ld in %.1f s = %.0f/s, "
      "stdio %ld in %.1f s = %.0f/s)\n",
      r.opt.mode.c_str(), all, o.seconds, all / std::max(o.seconds, 1e-9), long(r.http.done),
      o.http_s, r.http.done / std::max(o.http_s, 1e-9), all - long(r.http.done), o.stdio_s,
      (all - r.http.done) / std::max(o.stdio_s, 1e-9));
  std::printf(
      "answered %ld (ok %ld, clean errors %ld); abandoned by the client %ld (http disconnects %ld, "
      "stdio calls in flight at stdin close %ld); UNANSWERED/FAILED %ld\n",
      http_ans + stdio_ans, long(r.http.tally.ok + s.tally.ok),
      r.http.tally.clean_total() + s.tally.clean_total(),
      long(r.http.tally.abandoned + s.tally.abandoned), long(r.http.disconnects),
      long(s.abandoned_at_close), failed);
  print_reasons(r);
  for (Tally* t : {&r.http.tally, &s.tally})
    std::printf("%s latency ms: p50 %.2f p99 %.2f p99.9 %.1f max %.1f\n",
                t == &s.tally ? "stdio" : "http ", t->latency.quantile_ms(0.5),
                t->latency.quantile_ms(0.99), t->latency.quantile_ms(0.999),
                t->latency.max_us / 1000.0);
  std::printf(
      "chaos: %ld workers killed (http %ld, stdio %ld); %ld http disconnects; %ld stdio restarts "
      "(stdin closed), slowest exit %d ms\n",
      long(r.kills[0] + r.kills[1]), long(r.kills[0]), long(r.kills[1]), long(r.http.disconnects),
      long(s.restarts), s.max_exit_ms);
  print_leaks("http", o.http_leaks, o.http_baseline_fds);
  print_leaks("stdio", o.stdio_leaks, s.baseline_fds);
  std::printf(
      "left by exited gateways: %ld processes, %ld cgroups (%d stdio exits; http gateway SIGTERM "
      "exit in %d ms)\n",
      s.leftovers + long(o.http_exit.left.size()),
      s.cgroups_left + long(o.http_exit.cgroups.size()), s.exits, o.http_exit.ms);
  for (auto& p : s.problems) std::printf("PROBLEM: %s\n", p.c_str());
  for (auto& p : o.http_exit.problems()) std::printf("PROBLEM: http gateway: %s\n", p.c_str());
  for (auto [name, c] : {std::pair{"http", o.http_cpu}, std::pair{"stdio", o.stdio_cpu}})
    std::printf(
        "%-6s gateway CPU s: user %.1f, system %.1f; its reaped workers: user %.1f, system %.1f\n",
        name, c.user, c.sys, c.child_user, c.child_sys);
  print_memory("http", rss_of(r.samples, true));
  print_memory("stdio", rss_of(r.samples, false));
  std::printf("samples: %s, plot: %s\n", r.opt.csv.c_str(), r.opt.svg.c_str());
  long leaks = o.http_leaks.total() + o.stdio_leaks.total() + s.leftovers + s.cgroups_left +
               long(o.http_exit.left.size() + o.http_exit.cgroups.size());
  bool pass = failed == 0 && leaks == 0 && s.problems.empty() && o.http_exit.problems().empty();
  std::printf("%s: %ld unanswered or failed calls, %ld leaks\n", pass ? "PASS" : "FAIL", failed,
              leaks);
  return pass;
}

}  // namespace

namespace {

// The HTTP gateway, serving once its port answers; null when it did not.
std::unique_ptr<bench::Child> start_http_gateway(Run& r, const std::string& bin,
                                                 const std::string& cfg) {
  // A free port rather than port 0: at log level warning the gateway does
  // not log the port it picked.
  int port = bench::free_port();
  auto gw = bench::spawn({bin, "serve", "-c", cfg, "--listen", "127.0.0.1:" + std::to_string(port)},
                         false, r.dir + "/http.log");
  if (!gw || !bench::wait_port_open(port)) return nullptr;
  r.http.port = port;
  r.http_pid = gw->pid;
  r.http_cgroups = cgroup_parents(r.http_pid);
  return gw;
}

// All the calls, with the chaos thread and the sampler running.
void drive(Run& r, Outcome& o, long stdio_calls) {
  std::thread chaos_t;
  if (r.opt.kill_ms > 0) chaos_t = std::thread([&] { chaos(r); });
  std::atomic<bool> http_done{false};
  std::thread stdio_t([&] {
    r.stdio->run(stdio_calls);
    o.stdio_s = seconds_since(r.t0);
  });
  std::vector<std::thread> clients;
  for (int i = 0; i < r.opt.http_clients; ++i)
    clients.emplace_back([&, i] { http_client(r.http, 1000u + unsigned(i)); });
  std::thread http_wait([&] {
    for (auto& t : clients) t.join();
    o.http_s = seconds_since(r.t0);
    http_done = true;
  });
  o.http_baseline_fds = http_baseline(r, http_done);
  http_wait.join();
  stdio_t.join();
  r.stop_chaos = true;
  if (chaos_t.joinable()) chaos_t.join();
  o.seconds = std::max(o.http_s, o.stdio_s);
}

// After a quiet period (no calls, no kills: the pools settle), what the
// live gateways hold that they should not; then both are ended and checked.
void settle_and_check(Run& r, Outcome& o, std::thread& sampler) {
  ::usleep(useconds_t(r.opt.settle_s * 1e6));
  o.http_leaks = settled_leaks(r.http_pid, r.http_cgroups, o.http_baseline_fds, 5000);
  if (r.stdio->pid() > 0)
    o.stdio_leaks =
        settled_leaks(r.stdio->pid(), r.stdio->cgroup_dirs, r.stdio->baseline_fds, 5000);
  o.http_cpu = cpu_times(r.http_pid);
  o.stdio_cpu = cpu_times(r.stdio->pid());
  r.stop_sampling = true;
  sampler.join();
  write_csv(r.opt.csv, r.samples);
  write_svg(r.opt.svg, r.samples,
            "bench_soak: toolgate gateways under chaos, workers.mode " + r.opt.mode);
  r.stdio->finish();
  o.http_exit =
      end_and_check(r.http_pid, r.http_cgroups, r.dir, [&] { ::kill(r.http_pid, SIGTERM); });
}

}  // namespace

int main(int argc, char** argv) {
  Run r;
  if (!parse(argc, argv, &r.opt))
    return std::fputs(kUsage, stdout), argc > 1 && !strcmp(argv[1], "--help") ? 0 : 2;
  ::signal(SIGPIPE, SIG_IGN);
  char tmpl[] = "/tmp/toolgate-soak-XXXXXX";
  r.dir = ::mkdtemp(tmpl);
  bench::Upstream up;
  write_file(r.dir + "/spec.yaml", bench::kSpec);
  std::string cfg = write_file(r.dir + "/toolgate.yaml", gateway_config(r.dir, up.port, r.opt));
  std::string bin = std::string(BUILD_DIR) + "/toolgate";
  auto http_gw = start_http_gateway(r, bin, cfg);
  if (!http_gw)
    return std::fprintf(stderr, "the HTTP gateway did not start: %s\n",
                        bench::slurp(r.dir + "/http.log").c_str()),
           1;
  long stdio_calls = std::lround(double(r.opt.calls) * r.opt.stdio_share);
  r.http.left = r.opt.calls - stdio_calls;
  r.http.p_disconnect = r.opt.disconnect;
  r.http.p_reset = r.opt.reset;
  r.http.next_item = &r.next_item;
  r.stdio = std::make_unique<StdioDriver>(
      StdioConfig{bin, cfg, r.dir, r.opt.stdio_inflight, r.opt.stdio_restart, r.opt.warmup_s,
                  r.opt.settle_s},
      &r.next_item);
  std::printf(
      "bench_soak: %ld calls (%ld http over %d sessions, %ld stdio, %d in flight), workers.mode "
      "%s, kill every %d ms, disconnect p=%.4f (%.0f%% reset), stdio restart every %ld; logs in "
      "%s\n",
      r.opt.calls, long(r.http.left), r.opt.http_clients, stdio_calls, r.opt.stdio_inflight,
      r.opt.mode.c_str(), r.opt.kill_ms, r.opt.disconnect, 100 * r.opt.reset, r.opt.stdio_restart,
      r.dir.c_str());
  std::fflush(stdout);
  Outcome o;
  r.t0 = Clock::now();
  std::thread sampler([&] { sample_loop(r); });
  drive(r, o, stdio_calls);
  settle_and_check(r, o, sampler);
  http_gw->pid = -1;  // reaped by end_and_check
  bool pass = report(r, o);
  if (pass) std::system(("rm -rf " + r.dir).c_str());
  return pass ? 0 : 1;
}
