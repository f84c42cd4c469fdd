// The soak's HTTP clients (bench/soak.cc): each thread is one MCP session
// on a kept-alive connection; now and then it sends a call on a socket of
// its own and closes it before the answer (a client that went away), then
// carries on over a new connection.
#pragma once

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "bench/mcp_client.h"
#include "bench/soak_stats.h"

namespace soak {

// Holds the callers back while a baseline is taken: close() waits until no
// call is under way, open() lets them go on.
class Gate {
 public:
  void enter() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !closed_; });
    ++busy_;
  }
  void leave() {
    std::lock_guard<std::mutex> lock(mu_);
    --busy_;
    cv_.notify_all();
  }
  void close() {
    std::unique_lock<std::mutex> lock(mu_);
    closed_ = true;
    cv_.wait(lock, [&] { return busy_ == 0; });
  }
  void open() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = false;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  int busy_ = 0;
};

inline const char* kTool = "items__getItem";

class HttpSession {
 public:
  explicit HttpSession(int port) : port_(port) { connect(); }

  bool init() {
    json req = {{"jsonrpc", "2.0"},
                {"id", rpc_id_++},
                {"method", "initialize"},
                {"params",
                 {{"protocolVersion", "2025-06-18"},
                  {"capabilities", json::object()},
                  {"clientInfo", {{"name", "bench_soak"}, {"version", "1"}}}}}};
    auto r = cli_->Post("/mcp", headers(), req.dump(), "application/json");
    if (!r || r->status != 200) return false;
    session_ = r->get_header_value("Mcp-Session-Id");
    auto n =
        cli_->Post("/mcp", headers(), R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
                   "application/json");
    return n && n->status / 100 == 2;
  }

  // One call on the kept-alive connection, counted in `t`.
  void call(long item, Tally& t) {
    long id = rpc_id_++;
    auto t0 = Clock::now();
    auto r = cli_->Post("/mcp", headers(), body(id, item), "application/json");
    t.latency.add(seconds_since(t0) * 1e6);
    if (!r) {
      t.add(Kind::failed, "transport: " + httplib::to_string(r.error()));
      connect();  // the connection is in an unknown state
      return;
    }
    if (r->status != 200) {
      t.add(Kind::clean, "HTTP " + std::to_string(r->status) + " " + short_reason(r->body));
      return;
    }
    json j = bench::first_json(r);
    if (j.is_object() && j.value("id", json()) != json(id)) {
      t.add(Kind::failed, "answer to another request id", r->body);
      return;
    }
    auto [kind, reason] = classify(j, item);
    t.add(kind, reason, r->body);
  }

  // A call on a fresh socket, closed before the answer is read: at once or
  // up to a millisecond later (so sometimes while the call runs), with a
  // reset instead of a FIN with probability `p_reset`. Then the kept-alive connection is
  // replaced too, as a client that reconnects would. False when the
  // request could not even be sent.
  bool abandon(long item, std::mt19937& rng, double p_reset) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool sent = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (sent) {
      std::string b = body(rpc_id_++, item);
      std::string req = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                        "\r\nContent-Type: application/json\r\n"
                        "Accept: application/json, text/event-stream\r\n"
                        "MCP-Protocol-Version: 2025-06-18\r\nMcp-Session-Id: " +
                        session_ + "\r\nContent-Length: " + std::to_string(b.size()) + "\r\n\r\n" +
                        b;
      sent = ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == ssize_t(req.size());
    }
    ::usleep(rng() % 1000);
    if (std::uniform_real_distribution<double>(0, 1)(rng) < p_reset) {
      linger l{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    ::close(fd);
    connect();
    return sent;
  }

 private:
  void connect() {
    cli_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    cli_->set_keep_alive(true);
    cli_->set_tcp_nodelay(true);
    cli_->set_connection_timeout(5, 0);
    cli_->set_read_timeout(60, 0);  // a call never takes this long: past it, it is unanswered
  }
  httplib::Headers headers() const {
    httplib::Headers h = {{"Accept", "application/json, text/event-stream"},
                          {"MCP-Protocol-Version", "2025-06-18"}};
    if (!session_.empty()) h.emplace("Mcp-Session-Id", session_);
    return h;
  }
  static std::string body(long id, long item) {
    return json{{"jsonrpc", "2.0"},
                {"id", id},
                {"method", "tools/call"},
                {"params", {{"name", kTool}, {"arguments", {{"id", item}}}}}}
        .dump();
  }

  int port_;
  std::unique_ptr<httplib::Client> cli_;
  std::string session_;
  long rpc_id_ = 1;
};

// What the HTTP client threads share.
struct HttpLoad {
  int port = 0;
  double p_disconnect = 0, p_reset = 0.5;
  std::atomic<long> left{0};  // calls still to send, all threads together
  std::atomic<long> done{0}, disconnects{0};
  std::atomic<long>* next_item = nullptr;
  Gate gate;
  Tally tally;
};

// One client thread: its own session, calls until `left` runs out.
inline void http_client(HttpLoad& load, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> coin(0, 1);
  HttpSession s(load.port);
  if (!s.init()) {
    load.tally.add(Kind::failed, "initialize failed");
    return;
  }
  while (load.left.fetch_sub(1) > 0) {
    load.gate.enter();
    long item = (*load.next_item)++;
    if (coin(rng) < load.p_disconnect) {
      if (s.abandon(item, rng, load.p_reset)) {
        load.tally.add(Kind::abandoned);
        ++load.disconnects;
      } else {
        load.tally.add(Kind::failed, "transport: could not send the abandoned call");
      }
    } else {
      s.call(item, load.tally);
    }
    ++load.done;
    load.gate.leave();
  }
}

}  // namespace soak
