// The pieces bench_mcp and bench_streams share: a fast REST upstream (the
// floor) with its OpenAPI spec, an MCP Streamable HTTP client, and
// sequential latency.
#pragma once

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/json_limits.h"
#include "gateway/transport/listen_backlog.h"

namespace bench {

using toolgate::json;
using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t) {
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
    // cpp-httplib holds a thread per kept-alive connection. Its default pool
    // (8 threads here) would leave the 9th connection (a client thread, or
    // a pooled worker's kept-alive curl handle) waiting seconds for one of
    // them to time out: a stall in the floor, not in what is measured.
    svr.new_task_queue = [] { return new httplib::ThreadPool(256); };
    port = svr.bind_to_any_port("127.0.0.1");
    toolgate::widen_listen_backlog(uint16_t(port));  // the floor must not drop a burst either
    t = std::thread([this] { svr.listen_after_bind(); });
  }
  ~Upstream() {
    svr.stop();
    t.join();
  }
};

inline const char* kSpec = R"(openapi: 3.0.3
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
inline std::mutex g_fail_mu;
inline std::string g_first_failure;
inline std::string g_row;  // the row being measured
inline void note_failure(const json& r) {
  std::lock_guard<std::mutex> lock(g_fail_mu);
  if (g_first_failure.empty())
    g_first_failure = g_row + ": " + toolgate::dump_safe(r).substr(0, 300);
}

// --- MCP clients ----------------------------------------------------------------

inline json first_json(const httplib::Result& r) {
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

template <typename Call>
Latency sequential(int calls, Call call, int* failures, int gap_ms = 0) {
  std::vector<double> v;
  for (int i = 0; i < calls / 10; ++i) call();  // warm up
  for (int i = 0; i < calls; ++i) {
    // An agent pauses between tool calls (an LLM turn); the pause is not timed.
    if (gap_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
    auto t = Clock::now();
    if (!call()) ++*failures;
    v.push_back(ms_since(t));
  }
  return Latency::of(v);
}

// Throughput: `n` client threads, each made by `make()` (null counts as a
// failure), call `call(client)` for `seconds` once all are set up. Returns
// calls per second; failed calls are added to `*failures`.
template <typename Make, typename Call>
double calls_per_second(int n, double seconds, Make make, Call call, int* failures) {
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
  ::usleep(300000);  // sessions set up
  auto t0 = Clock::now();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  double el = ms_since(t0) / 1000;
  for (auto& t : ts) t.join();
  *failures += int(failed);
  return double(done) / el;
}

}  // namespace bench
