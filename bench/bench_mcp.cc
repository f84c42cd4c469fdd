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
#include "toolgate/json_limits.h"
#include "toolgate/listen_backlog.h"

using toolgate::json;
using Clock = std::chrono::steady_clock;
using namespace bench;

namespace {

std::string g_dir;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

struct Latency {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  static Latency of(std::vector<double> v) {
    Latency l;
    if (v.empty()) return l;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, size_t(q * double(v.size())))]; };
    l.p50 = at(0.50);
    l.p90 = at(0.90);
    l.p99 = at(0.99);
    l.max = v.back();
    return l;
  }
};

// --- the floor -------------------------------------------------------------

struct Upstream {
  httplib::Server svr;
  int port = 0;
  std::thread t;
  Upstream() {
    svr.Get(R"(/items/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(
          R"({"id":)" + std::string(req.matches[1]) + R"(,"name":"widget","price":9.5})",
          "application/json");
    });
    svr.Post("/items", [](const httplib::Request& req, httplib::Response& res) {
      res.status = 201;
      res.set_content(req.body, "application/json");
    });
    svr.Get("/search", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(R"({"q":")" + req.get_param_value("q") + R"(","hits":[1,2,3]})",
                      "application/json");
    });
    svr.set_tcp_nodelay(true);  // else delayed ACKs dominate (40 ms)
    svr.set_keep_alive_max_count(1000000);
    port = svr.bind_to_any_port("127.0.0.1");
    toolgate::widen_listen_backlog(uint16_t(port));  // the floor must not drop a burst either
    t = std::thread([this] { svr.listen_after_bind(); });
  }
  ~Upstream() {
    svr.stop();
    t.join();
  }
};

const char* kSpec = R"(openapi: 3.0.3
info: {title: Items, version: "1"}
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        "200":
          description: an item
          content:
            application/json:
              schema: {type: object, properties: {id: {type: integer}, name: {type: string}, price: {type: number}}}
  /items:
    post:
      operationId: createItem
      requestBody: {required: true, content: {application/json: {schema: {type: object}}}}
      responses: {"201": {description: created}}
  /search:
    get:
      operationId: searchItems
      parameters:
        - {name: q, in: query, required: true, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer}}
      responses: {"200": {description: hits}}
)";

// The first failed answer, printed after the table: a failure count alone
// says nothing about why.
std::mutex g_fail_mu;
std::string g_first_failure;
std::string g_row;  // the row being measured
void note_failure(const json& r) {
  std::lock_guard<std::mutex> lock(g_fail_mu);
  if (g_first_failure.empty())
    g_first_failure = g_row + ": " + toolgate::dump_safe(r).substr(0, 300);
}

// --- MCP clients ----------------------------------------------------------------

json first_json(const httplib::Result& r) {
  if (!r) return nullptr;
  if (r->get_header_value("Content-Type").find("text/event-stream") != std::string::npos) {
    std::istringstream is(r->body);
    std::string line;
    json last;
    while (std::getline(is, line))
      if (line.rfind("data: ", 0) == 0) {
        json j = json::parse(line.substr(6), nullptr, false);
        if (j.is_object() && j.contains("id")) last = j;
      }
    return last;
  }
  return json::parse(r->body, nullptr, false);
}

struct HttpMcp {
  httplib::Client cli;
  std::string session;
  int id = 1;
  int port;
  // Servers that answer a POST with 202 and send the response on the GET
  // stream (the Node peer does): a reader thread collects those answers.
  std::unique_ptr<httplib::Client> stream_cli;
  std::thread reader;
  std::mutex mu;
  std::condition_variable cv;
  std::map<int, json> answers;
  std::atomic<bool> closing{false};
  explicit HttpMcp(int p) : cli("127.0.0.1", p), port(p) {
    cli.set_keep_alive(true);
    cli.set_tcp_nodelay(true);
    cli.set_read_timeout(30, 0);
  }
  ~HttpMcp() {
    closing = true;
    if (stream_cli) stream_cli->stop();
    if (reader.joinable()) reader.join();
  }
  void open_stream() {
    stream_cli = std::make_unique<httplib::Client>("127.0.0.1", port);
    stream_cli->set_read_timeout(300, 0);
    httplib::Headers h = headers();
    h.erase("Accept");
    h.emplace("Accept", "text/event-stream");
    reader = std::thread([this, h] {
      std::string buf;
      stream_cli->Get("/mcp", h, [&](const char* data, size_t n) {
        buf.append(data, n);
        for (size_t nl; (nl = buf.find('\n')) != std::string::npos;) {
          std::string line = buf.substr(0, nl);
          buf.erase(0, nl + 1);
          if (line.rfind("data: ", 0) != 0) continue;
          json j = json::parse(line.substr(6), nullptr, false);
          if (j.is_object() && j.contains("id") && j["id"].is_number_integer()) {
            std::lock_guard<std::mutex> lock(mu);
            answers[j["id"].get<int>()] = j;
            cv.notify_all();
          }
        }
        return !closing.load();
      });
    });
  }
  json await(int want) {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(30), [&] { return answers.count(want) > 0; }))
      return nullptr;
    json j = std::move(answers[want]);
    answers.erase(want);
    return j;
  }
  httplib::Headers headers() {
    httplib::Headers h = {{"Accept", "application/json, text/event-stream"},
                          {"MCP-Protocol-Version", "2025-06-18"}};
    if (!session.empty()) h.emplace("Mcp-Session-Id", session);
    return h;
  }
  bool with_stream = false;
  bool init() {
    json req = {{"jsonrpc", "2.0"},
                {"id", id++},
                {"method", "initialize"},
                {"params",
                 {{"protocolVersion", "2025-06-18"},
                  {"capabilities", json::object()},
                  {"clientInfo", {{"name", "bench"}, {"version", "1"}}}}}};
    auto r = cli.Post("/mcp", headers(), req.dump(), "application/json");
    if (!r || r->status != 200) {
      note_failure(
          {{"initialize failed", r ? json(r->status) : json(httplib::to_string(r.error()))},
           {"body", r ? r->body.substr(0, 200) : ""}});
      return false;
    }
    session = r->get_header_value("Mcp-Session-Id");
    cli.Post("/mcp", headers(), R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
             "application/json");
    if (with_stream) {
      open_stream();
      ::usleep(100000);  // the stream is open before the first call
    }
    return true;
  }
  json request(const std::string& method, json params) {
    int i = id++;
    json req = {{"jsonrpc", "2.0"}, {"id", i}, {"method", method}, {"params", params}};
    auto r = cli.Post("/mcp", headers(), req.dump(), "application/json");
    if (r && r->status == 202) {
      if (!stream_cli) return nullptr;
      return await(i);
    }
    return first_json(r);
  }
  bool call(const std::string& tool, const json& args) {
    json r = request("tools/call", {{"name", tool}, {"arguments", args}});
    bool ok = r.is_object() && r.contains("result") && !r["result"].value("isError", false);
    if (!ok) note_failure(r);
    return ok;
  }
};

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
  long rss_kb = 0, workers_kb = 0, worker_max_kb = 0;
  int failures = 0;
};

constexpr int kConc[3] = {1, 8, 32};

template <typename Make, typename Call>
void throughput(Row* row, double seconds, Make make, Call call) {
  for (int k = 0; k < 3; ++k) {
    int n = kConc[k];
    std::atomic<long> done{0}, failed{0};
    std::atomic<bool> go{false}, stop{false};
    std::vector<std::thread> ts;
    for (int i = 0; i < n; ++i) {
      ts.emplace_back([&] {
        auto client = make();
        if (!client) {
          ++failed;
          return;
        }
        while (!go) std::this_thread::yield();
        while (!stop) {
          if (call(*client))
            ++done;
          else
            ++failed;
        }
      });
    }
    ::usleep(200000);  // sessions set up
    auto t0 = Clock::now();
    go = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    double el = ms_since(t0) / 1000;
    for (auto& t : ts) t.join();
    row->thr[k] = double(done) / el;
    row->failures += int(failed);
  }
}

template <typename Call>
Latency sequential(int calls, Call call, int* failures) {
  std::vector<double> v;
  for (int i = 0; i < calls / 10; ++i) call();  // warm up
  for (int i = 0; i < calls; ++i) {
    auto t = Clock::now();
    if (!call()) ++*failures;
    v.push_back(ms_since(t));
  }
  return Latency::of(v);
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
  std::printf("%-42s %8s %8s %8s %8s %9s %9s %9s %9s %9s %6s\n", "path", "p50 ms", "p90", "p99",
              "max", "c1 /s", "c8 /s", "c32 /s", "RSS MB", "wrk MB", "fail");
  for (auto& r : rows) {
    std::printf("%-42s %8.3f %8.3f %8.3f %8.3f %9.0f %9.0f %9.0f %9.1f %9.1f %6d\n", r.name.c_str(),
                r.lat.p50, r.lat.p90, r.lat.p99, r.lat.max, r.thr[0], r.thr[1], r.thr[2],
                double(r.rss_kb) / 1024, double(r.workers_kb) / 1024, r.failures);
  }
  const Row& floor = rows[0];
  std::printf("workers: peak single worker RSS %.1f MB (http per_call)\n",
              double(rows[1].worker_max_kb) / 1024);
  std::printf(
      "summary: p50 over the floor: http per_call +%.3f ms, http pooled +%.3f ms, stdio "
      "per_call +%.3f ms, stdio pooled +%.3f ms",
      rows[1].lat.p50 - floor.lat.p50, rows[3].lat.p50 - floor.lat.p50,
      rows[2].lat.p50 - floor.lat.p50, rows[4].lat.p50 - floor.lat.p50);
  if (rows.size() > 5 && rows[5].lat.p50 > 0) {
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
