// bench_call: latency of tools/call through toolgate, against a baseline
// measured in the same run.
//
//   build/bench_call [--calls N] [--gap-ms N] [--smoke]
//
// Measures, for a trivial script tool (`cat`: echoes its arguments):
//   baseline   fork+exec of the tool with the arguments on stdin, directly
//   spawn      WorkerPool::run of the same order (worker spawn + tool), in-process
//   stdio      tools/call through `toolgate serve --stdio` (per_call mode)
//   http       tools/call through Streamable HTTP (keep-alive, JSON answers)
//   ..pooled   the same with workers.mode: pooled
//   ping       a ping's round trip over stdio while a tool call is in flight
// and prints p50/p99 for each and the overhead over the baseline.
//
// --gap-ms (default 20) pauses between calls, as an agent does between tool
// calls; it gives the gateway's prepared worker time to get ready. With
// --gap-ms 0 calls run back to back and measure throughput-bound latency.
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/io.h"
#include "gateway/workers/sandbox_probe.h"
#include "gateway/workers/spawn.h"
#include "gateway/workers/worker_pool.h"

using namespace toolgate;
using Clock = std::chrono::steady_clock;

namespace {

struct Stats {
  double p50, p99, mean;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  auto pct = [&](double p) { return v[std::min(v.size() - 1, size_t(p * double(v.size())))]; };
  return {pct(0.50), pct(0.99), sum / double(v.size())};
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

const std::string kArgs = R"({"message":"hello"})";
int g_gap_ms = 20;

void gap() {
  if (g_gap_ms > 0) usleep(useconds_t(g_gap_ms) * 1000);
}

// The baseline: what running the tool costs with no gateway at all.
double direct_exec() {
  auto t = Clock::now();
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    execlp("cat", "cat", nullptr);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  ssize_t w = write(in[1], kArgs.data(), kArgs.size());
  (void)w;
  close(in[1]);
  char buf[256];
  while (read(out[0], buf, sizeof buf) > 0) {
  }
  close(out[0]);
  waitpid(pid, nullptr, 0);
  return ms_since(t);
}

struct Child {
  pid_t pid;
  int in, out, err;
};

Child start(const std::vector<std::string>& argv) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) std::exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  return {pid, in[1], out[0], err[0]};
}

std::string read_line(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

void write_str(int fd, const std::string& s) {
  if (!write_all(fd, s)) std::exit(1);
}

std::string call_json(int id) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"tools/call","params":{"name":"b__echo","arguments":)" + kArgs + "}}";
}

const char* kInit =
    R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}})";

std::vector<double> bench_stdio(const std::string& bin, const std::string& cfg, int calls) {
  Child c = start({bin, "serve", "-c", cfg, "--stdio", "--log-level", "error"});
  write_str(c.in, std::string(kInit) + "\n");
  read_line(c.out);
  std::vector<double> v;
  for (int i = 1; i <= calls; ++i) {
    gap();
    auto t = Clock::now();
    write_str(c.in, call_json(i) + "\n");
    std::string r = read_line(c.out);
    v.push_back(ms_since(t));
    if (r.find("\"result\"") == std::string::npos || r.find("isError") != std::string::npos) {
      std::fprintf(stderr, "bad answer: %s\n", r.c_str());
      std::exit(1);
    }
  }
  close(c.in);
  waitpid(c.pid, nullptr, 0);
  return v;
}

// Pings answered over stdio while a tool call (a sleeping tool) is in
// flight: the gateway must not wait for the call to answer anything else.
std::vector<double> bench_ping_during_call(const std::string& bin, const std::string& cfg,
                                           int pings) {
  Child c = start({bin, "serve", "-c", cfg, "--stdio", "--log-level", "error"});
  write_str(c.in, std::string(kInit) + "\n");
  read_line(c.out);
  write_str(c.in,
            R"({"jsonrpc":"2.0","id":"slow","method":"tools/call","params":{"name":"b__sleep"}})"
            "\n");
  usleep(200000);  // the call's worker and tool are running by now
  std::vector<double> v;
  for (int i = 1; i <= pings; ++i) {
    gap();
    std::string id = "\"id\":" + std::to_string(i) + ",";
    auto t = Clock::now();
    write_str(c.in, R"({"jsonrpc":"2.0",)" + id + R"("method":"ping"})" + "\n");
    std::string r;
    while ((r = read_line(c.out)).find(id) == std::string::npos) {
      if (r.empty() || r.find("\"slow\"") != std::string::npos) {
        std::fprintf(stderr, "no answer to ping %d while the call ran: %s\n", i, r.c_str());
        std::exit(1);
      }
    }
    v.push_back(ms_since(t));
  }
  kill(c.pid, SIGTERM);
  close(c.in);
  waitpid(c.pid, nullptr, 0);
  return v;
}

std::vector<double> bench_http(const std::string& bin, const std::string& cfg, int calls) {
  Child c = start({bin, "serve", "-c", cfg, "--listen", "127.0.0.1:0"});
  std::string log;
  char buf[4096];
  int port = 0;
  while (port == 0) {
    ssize_t n = read(c.err, buf, sizeof buf);
    if (n <= 0) std::exit(1);
    log.append(buf, size_t(n));
    auto p = log.find("http://127.0.0.1:");
    if (p != std::string::npos && log.find("/mcp", p) != std::string::npos)
      port = atoi(log.c_str() + p + 17);
  }
  httplib::Client cli("127.0.0.1", port);
  cli.set_keep_alive(true);
  cli.set_tcp_nodelay(true);
  httplib::Headers h = {{"Accept", "application/json, text/event-stream"}};
  auto init = cli.Post("/mcp", h, kInit, "application/json");
  if (!init) std::exit(1);
  h.emplace("Mcp-Session-Id", init->get_header_value("Mcp-Session-Id"));
  std::vector<double> v;
  for (int i = 1; i <= calls; ++i) {
    gap();
    auto t = Clock::now();
    auto r = cli.Post("/mcp", h, call_json(i), "application/json");
    v.push_back(ms_since(t));
    if (!r || r->status != 200 || r->body.find("isError") != std::string::npos) {
      std::fprintf(stderr, "bad HTTP answer\n");
      std::exit(1);
    }
  }
  kill(c.pid, SIGTERM);
  waitpid(c.pid, nullptr, 0);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  int calls = 300;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--smoke"))
      calls = 10;
    else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
      calls = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--gap-ms") && i + 1 < argc)
      g_gap_ms = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--help")) {
      std::printf("usage: bench_call [--calls N] [--gap-ms N] [--smoke]\n");
      return 0;
    } else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  std::string dir = std::filesystem::path(argv[0]).parent_path().string();
  std::string bin = dir + "/toolgate";
  std::string cfg = "/tmp/toolgate-bench-" + std::to_string(getpid()) + ".yaml";
  std::ofstream(cfg) << "sources:\n  - name: b\n    type: script\n    tools:\n"
                        "      - name: echo\n        command: [cat]\n"
                        "        input_schema: {type: object}\n"
                        "      - name: sleep\n        command: [sleep, \"120\"]\n"
                        "        timeout_ms: 120000\n";

  for (int i = 0; i < 5; ++i) direct_exec();  // warm the page cache
  std::vector<double> base, spawn, sandboxed;
  WorkerPool pool(dir + "/toolgate-worker", 4);
  WorkOrder order;
  order.argv = {"cat"};
  order.env = {{"PATH", "/usr/bin:/bin"}};
  order.stdin_data = kArgs;
  for (int i = 0; i < calls; ++i) {
    gap();
    base.push_back(direct_exec());
  }
  for (int i = 0; i < calls; ++i) {
    auto t = Clock::now();
    WorkResult r = pool.run(order, nullptr);
    spawn.push_back(ms_since(t));
    if (r.outcome != Outcome::ok) {
      std::fprintf(stderr, "worker run failed: %s\n", r.detail.c_str());
      return 1;
    }
  }
  // The same order under the full sandbox this host allows.
  SandboxConfig sb_cfg;
  SandboxSupport sup = probe_sandbox(pool, sb_cfg);
  WorkOrder boxed = order;
  boxed.sandbox = base_sandbox(sup, sb_cfg);
  for (int i = 0; i < calls; ++i) {
    auto t = Clock::now();
    WorkResult r = pool.run(boxed, nullptr);
    sandboxed.push_back(ms_since(t));
    if (r.outcome != Outcome::ok) {
      std::fprintf(stderr, "sandboxed worker run failed: %s %s\n", r.detail.c_str(),
                   r.stderr_tail.c_str());
      return 1;
    }
  }
  auto stdio = bench_stdio(bin, cfg, calls);
  auto http = bench_http(bin, cfg, calls);
  auto ping = bench_ping_during_call(bin, cfg, calls);
  std::string pooled_cfg = cfg + ".pooled.yaml";
  std::ofstream(pooled_cfg) << "sources:\n  - name: b\n    type: script\n    tools:\n"
                               "      - name: echo\n        command: [cat]\n"
                               "        input_schema: {type: object}\n"
                               "workers: {mode: pooled}\n";
  auto stdio_pooled = bench_stdio(bin, pooled_cfg, calls);
  auto http_pooled = bench_http(bin, pooled_cfg, calls);
  std::filesystem::remove(cfg);
  std::filesystem::remove(pooled_cfg);

  Stats b = stats(base);
  std::printf("tools/call of a trivial script tool (cat), %d calls each, %d ms apart, ms\n", calls,
              g_gap_ms);
  std::printf("%-34s %8s %8s %8s %12s\n", "path", "p50", "p99", "mean", "p50 over base");
  auto row = [&](const char* name, const std::vector<double>& v) {
    Stats s = stats(v);
    std::printf("%-34s %8.3f %8.3f %8.3f %+12.3f\n", name, s.p50, s.p99, s.mean, s.p50 - b.p50);
  };
  row("baseline: fork+exec tool directly", base);
  row("worker spawn + tool (in-process)", spawn);
  row("  ... sandboxed (ns, fs, seccomp, cg)", sandboxed);
  row("toolgate stdio", stdio);
  row("toolgate http (keep-alive, JSON)", http);
  row("toolgate stdio, pooled", stdio_pooled);
  row("toolgate http, pooled", http_pooled);
  row("ping while a call runs (stdio)", ping);
  Stats w = stats(spawn), s = stats(stdio), h = stats(http);
  std::printf(
      "summary: worker spawn costs %.3f ms over a bare exec (p50); stdio p50 %.3f ms "
      "(%.1fx base), http p50 %.3f ms (%.1fx base)\n",
      w.p50 - b.p50, s.p50, s.p50 / b.p50, h.p50, h.p50 / b.p50);
  return 0;
}
