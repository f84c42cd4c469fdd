// End-to-end MCP latency, throughput and memory against the floor and a
// peer (issue 8's harness; bench/README.md).
//
//   build/bench_mcp [--calls N] [--seconds S] [--smoke]
//
// In one run it starts a fast REST upstream on loopback (the floor), then
// measures, with the same C++ load client:
//   - the floor: GET /items/{id} straight to the upstream;
//   - toolgate over Streamable HTTP (keep-alive) and over stdio, with
//     workers.mode per_call and pooled, calling the OpenAPI tool for it;
//   - the Node peer @ivotoby/openapi-mcp-server on the same spec and
//     upstream, when tests/npm has it.
// Latency is sequential (p50/p90/p99/max); throughput runs 1, 8 and 32
// concurrent sessions for a fixed time. Memory is peak RSS from /proc.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "bench/bench_proc.h"
#include "bench/mcp_client.h"

using namespace bench;

namespace {

std::string g_dir;

struct StdioMcp {
  Child& c;
  std::string buf;
  int id = 1;
  explicit StdioMcp(Child& ch) : c(ch) {}
  bool send(const json& j) {
    std::string s = j.dump() + "\n";
    return ::write(c.in, s.data(), s.size()) == ssize_t(s.size());
  }
  json recv_id(int want) {
    for (;;) {
      auto nl = buf.find('\n');
      if (nl != std::string::npos) {
        json j = json::parse(buf.substr(0, nl), nullptr, false);
        buf.erase(0, nl + 1);
        if (j.is_object() && j.contains("id") && j["id"] == want) return j;
        continue;
      }
      char tmp[65536];
      ssize_t n = ::read(c.out, tmp, sizeof tmp);
      if (n <= 0) return nullptr;
      buf.append(tmp, size_t(n));
    }
  }
  bool init() {
    int i = id++;
    send({{"jsonrpc", "2.0"},
          {"id", i},
          {"method", "initialize"},
          {"params",
           {{"protocolVersion", "2025-06-18"},
            {"capabilities", json::object()},
            {"clientInfo", {{"name", "bench"}, {"version", "1"}}}}}});
    if (recv_id(i).is_null()) return false;
    return send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  }
  bool call(const std::string& tool, const json& args) {
    int i = id++;
    send({{"jsonrpc", "2.0"},
          {"id", i},
          {"method", "tools/call"},
          {"params", {{"name", tool}, {"arguments", args}}}});
    json r = recv_id(i);
    return r.is_object() && r.contains("result") && !r["result"].value("isError", false);
  }
};

// --- measurements ------------------------------------------------------------------

struct Row {
  std::string name;
  Latency lat;
  double thr[3] = {0, 0, 0};  // calls/s at 1, 8, 32
  long rss_kb = 0, workers_kb = 0, worker_max_kb = 0, workers_pss_kb = 0, worker_max_pss_kb = 0;
  int failures = 0;
};

constexpr int kConc[3] = {1, 8, 32};
constexpr int kGapMs = 20;

template <typename Make, typename Call>
void throughput(Row* row, double seconds, Make make, Call call) {
  for (int k = 0; k < 3; ++k)
    row->thr[k] = calls_per_second(kConc[k], seconds, make, call, &row->failures);
}

std::string write_file(const std::string& name, const std::string& text) {
  std::ofstream(g_dir + "/" + name) << text;
  return g_dir + "/" + name;
}

std::string toolgate_config(int up_port, const std::string& mode) {
  return "server: {http_threads: 128, log_level: info}\n"
         "workers: {mode: " +
         mode +
         ", max_concurrent: 64, prespawn: 4}\n"
         "sources:\n  - name: items\n    type: openapi\n    spec: " +
         g_dir +
         "/spec.yaml\n"
         "    base_url: http://127.0.0.1:" +
         std::to_string(up_port) + "\n";
}

}  // namespace

int main(int argc, char** argv) {
  int calls = 500;
  double seconds = 3;
  bool smoke = false;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--smoke"))
      smoke = true, calls = 20, seconds = 0.3;
    else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
      calls = std::atoi(argv[++i]);
    else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
      seconds = std::atof(argv[++i]);
    else
      return std::printf("usage: bench_mcp [--calls N] [--seconds S] [--smoke]\n"), 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  char tmpl[] = "/tmp/toolgate-bench-mcp-XXXXXX";
  g_dir = ::mkdtemp(tmpl);
  Upstream up;
  write_file("spec.yaml", kSpec);
  json args = {{"id", 7}};
  std::vector<Row> rows;
  std::vector<Row> spaced_rows;  // printed after the others: the summary indexes rows

  {  // the floor: the same kind of client, straight to the upstream
    Row r;
    r.name = "floor: GET straight to the upstream";
    g_row = r.name;
    httplib::Client c("127.0.0.1", up.port);
    c.set_keep_alive(true);
    c.set_tcp_nodelay(true);
    r.lat = sequential(
        calls,
        [&] {
          auto res = c.Get("/items/7");
          return res && res->status == 200;
        },
        &r.failures);
    throughput(
        &r, seconds,
        [&] {
          auto cl = std::make_unique<httplib::Client>("127.0.0.1", up.port);
          cl->set_keep_alive(true);
          cl->set_tcp_nodelay(true);
          return cl;
        },
        [](httplib::Client& cl) {
          auto res = cl.Get("/items/7");
          return res && res->status == 200;
        });
    rows.push_back(r);
  }

  std::string bin = std::string(BUILD_DIR) + "/toolgate";
  for (const char* mode : {"per_call", "pooled"}) {
    std::string cfg =
        write_file(std::string("toolgate-") + mode + ".yaml", toolgate_config(up.port, mode));
    {  // HTTP
      auto gw = spawn({bin, "serve", "-c", cfg, "--listen", "127.0.0.1:0"}, false,
                      g_dir + "/gw-http-" + mode + ".log");
      int port = wait_toolgate_port(*gw);
      Row r;
      r.name = std::string("toolgate http, ") + mode;
      g_row = r.name;
      if (port) {
        MemSampler mem(gw->pid);
        HttpMcp c(port);
        if (c.init()) {
          r.lat = sequential(
              calls, [&] { return c.call("items__getItem", args); }, &r.failures);
          // The same calls at an agent's pace: a prepared worker is waiting.
          Row spaced;
          spaced.name = r.name + ", " + std::to_string(kGapMs) + " ms apart";
          spaced.lat = sequential(
              std::max(calls / 3, 10), [&] { return c.call("items__getItem", args); },
              &spaced.failures, kGapMs);
          spaced_rows.push_back(spaced);
          throughput(
              &r, seconds,
              [&] {
                auto m = std::make_unique<HttpMcp>(port);
                return m->init() ? std::move(m) : nullptr;
              },
              [&](HttpMcp& m) { return m.call("items__getItem", args); });
        }
        r.workers_kb = mem.workers_sum_kb;
        r.worker_max_kb = mem.worker_max_kb;
        r.workers_pss_kb = mem.workers_pss_sum_kb;
        r.worker_max_pss_kb = mem.worker_max_pss_kb;
        r.rss_kb = status_kb(gw->pid, "VmHWM:");
      } else {
        r.failures = -1;
      }
      rows.push_back(r);
    }
    {  // stdio: one session, sequential
      auto gw = spawn({bin, "serve", "-c", cfg, "--stdio"}, true, g_dir + "/gw-stdio.log");
      Row r;
      r.name = std::string("toolgate stdio, ") + mode;
      g_row = r.name;
      MemSampler mem(gw->pid);
      StdioMcp c(*gw);
      if (c.init()) {
        r.lat = sequential(
            calls, [&] { return c.call("items__getItem", args); }, &r.failures);
      } else {
        r.failures = -1;
      }
      r.workers_kb = mem.workers_sum_kb;
      r.worker_max_kb = mem.worker_max_kb;
      r.workers_pss_kb = mem.workers_pss_sum_kb;
      r.worker_max_pss_kb = mem.worker_max_pss_kb;
      r.rss_kb = status_kb(gw->pid, "VmHWM:");
      rows.push_back(r);
    }
  }

  // The Node peer, on the same spec and upstream.
  std::string peer = std::string(SOURCE_DIR) +
                     "/tests/npm/node_modules/@ivotoby/openapi-mcp-server/bin/mcp-server.js";
  std::string node = std::string(SOURCE_DIR) + "/tests/npm/node_modules/.bin/node";
  if (::access(peer.c_str(), R_OK) == 0 && ::access(node.c_str(), X_OK) == 0) {
    int port = free_port();
    auto p = spawn({node, peer, "--api-base-url", "http://127.0.0.1:" + std::to_string(up.port),
                    "--openapi-spec", g_dir + "/spec.yaml", "--transport", "http", "--port",
                    std::to_string(port), "--host", "127.0.0.1"},
                   false, g_dir + "/peer.log");
    Row r;
    r.name = "peer: @ivotoby/openapi-mcp-server http";
    g_row = r.name;
    if (wait_port_open(port)) {
      HttpMcp c(port);
      c.with_stream = true;
      std::string tool;
      if (c.init()) {
        json list = c.request("tools/list", json::object());
        for (auto& t : list["result"]["tools"]) {
          std::string n = t.value("name", "");
          // It abbreviates operationIds: getItem becomes get-item.
          if (n == "get-item" || n.find("getItem") != std::string::npos) tool = n;
        }
      }
      if (!tool.empty()) {
        r.lat = sequential(
            calls, [&] { return c.call(tool, args); }, &r.failures);
        throughput(
            &r, seconds,
            [&] {
              auto m = std::make_unique<HttpMcp>(port);
              m->with_stream = true;
              return m->init() ? std::move(m) : nullptr;
            },
            [&](HttpMcp& m) { return m.call(tool, args); });
      } else {
        r.failures = -1;
        r.name += " (no getItem tool found)";
      }
      r.rss_kb = status_kb(p->pid, "VmHWM:");
    } else {
      r.failures = -1;
      r.name += " (did not start)";
      std::fprintf(stderr, "%s\n", slurp(g_dir + "/peer.log").c_str());
    }
    rows.push_back(r);
  }

  std::printf(
      "MCP tools/call of GET /items/{id}: %d sequential calls, then %.1f s at 1, 8 and 32 "
      "sessions\n",
      calls, seconds);
  std::printf("%-46s %8s %8s %8s %8s %8s %8s %8s %7s %7s %7s %5s\n", "path", "p50 ms", "p90", "p99",
              "max", "c1 /s", "c8 /s", "c32 /s", "RSS MB", "wrk MB", "wrk PSS", "fail");
  rows.insert(rows.end(), spaced_rows.begin(), spaced_rows.end());
  for (auto& r : rows) {
    std::printf("%-46s %8.3f %8.3f %8.3f %8.3f %8.0f %8.0f %8.0f %7.1f %7.1f %7.1f %5d\n",
                r.name.c_str(), r.lat.p50, r.lat.p90, r.lat.p99, r.lat.max, r.thr[0], r.thr[1],
                r.thr[2], double(r.rss_kb) / 1024, double(r.workers_kb) / 1024,
                double(r.workers_pss_kb) / 1024, r.failures);
  }
  const Row& floor = rows[0];
  std::printf(
      "workers: largest single process RSS %.1f MB, PSS %.1f MB (http per_call); %.1f MB, PSS "
      "%.1f MB (http pooled)\n",
      double(rows[1].worker_max_kb) / 1024, double(rows[1].worker_max_pss_kb) / 1024,
      double(rows[3].worker_max_kb) / 1024, double(rows[3].worker_max_pss_kb) / 1024);
  std::printf(
      "summary: p50 over the floor: http per_call +%.3f ms, http pooled +%.3f ms, stdio "
      "per_call +%.3f ms, stdio pooled +%.3f ms",
      rows[1].lat.p50 - floor.lat.p50, rows[3].lat.p50 - floor.lat.p50,
      rows[2].lat.p50 - floor.lat.p50, rows[4].lat.p50 - floor.lat.p50);
  if (!spaced_rows.empty())
    std::printf(" (http per_call %d ms apart +%.3f ms)", kGapMs,
                spaced_rows[0].lat.p50 - floor.lat.p50);
  if (rows.size() > 5 && rows[5].name.rfind("peer:", 0) == 0 && rows[5].lat.p50 > 0) {
    std::printf(
        "; peer p50 %.3f ms, toolgate http pooled p50 = %.2fx the peer's, c32 "
        "throughput = %.2fx the peer's",
        rows[5].lat.p50, rows[3].lat.p50 / std::max(rows[5].lat.p50, 1e-9),
        rows[3].thr[2] / std::max(rows[5].thr[2], 1e-9));
  }
  std::printf("\n");
  if (!g_first_failure.empty()) std::printf("first failure: %s\n", g_first_failure.c_str());
  std::system(("rm -rf " + g_dir).c_str());
  // The smoke run proves the harness works: every row must have run. Calls
  // that fail under load are a measurement (the "fail" column), not a
  // broken harness.
  bool broken = false;
  for (auto& r : rows) broken = broken || r.failures < 0;
  return smoke && broken ? 1 : 0;
}
