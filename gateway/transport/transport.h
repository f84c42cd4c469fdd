// Transports carry MCP messages between clients and the gateway. They move
// bytes: a message is read once (read_message) and handed to its session;
// what it asks is for the protocol layer to know.
//
//   StdioTransport t(gateway, caller);  t.run();              // until stdin closes
//   HttpTransport h(gateway, host, port);  h.bind(); h.run();  // until stop()
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "gateway/gateway.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace toolgate {

class Transport {
 public:
  virtual ~Transport() = default;
  // Serves until the peer goes away or stop() is called. Returns an exit code.
  virtual int run() = 0;
  // Safe to call from any thread (the signal thread).
  virtual void stop() = 0;
};

// Newline-delimited JSON on stdin/stdout. stdout carries only MCP messages.
class StdioTransport : public Transport {
 public:
  StdioTransport(Gateway& gateway, Caller caller, int in_fd = 0, int out_fd = 1);
  ~StdioTransport() override;
  int run() override;
  void stop() override;

 private:
  // Reads stdin until it ends (false) or stop() is called (true), handing
  // every chunk to `feed`.
  bool read_input(const std::function<void(const char*, size_t)>& feed);

  Gateway& gateway_;
  Caller caller_;
  int in_fd_, out_fd_;
  int wake_[2] = {-1, -1};
};

// Streamable HTTP at /mcp, plus /healthz and /readyz.
struct HttpGauges;    // elastic_pool.h
class BoundedServer;  // bounded_server.h

class HttpTransport : public Transport {
 public:
  HttpTransport(Gateway& gateway, std::string host, uint16_t port);
  ~HttpTransport() override;
  // Binds the listening socket; false (with a log line) on failure.
  bool bind();
  uint16_t port() const { return port_; }
  int run() override;
  void stop() override;

 private:
  void install_routes();
  bool rebinding_ok(const httplib::Request& req, httplib::Response& res);
  bool guard(const httplib::Request& req, httplib::Response& res, Caller* who);
  bool version_ok(const httplib::Request& req, httplib::Response& res);
  std::shared_ptr<Session> session_of(const httplib::Request& req, httplib::Response& res,
                                      const json& id, const Caller& who);
  void post_message(const httplib::Request& req, httplib::Response& res);
  void open_session(const httplib::Request& req, httplib::Response& res, Message msg,
                    const Caller& who);
  void post_batch(const httplib::Request& req, httplib::Response& res, json batch,
                  const Caller& who);
  // What answers one request: its session (2025) or the stateless front
  // (2026-07-28). Runs on the HTTP thread, or inside the SSE stream.
  // `status_of` picks a plain JSON reply's HTTP status (null: always 200).
  using Handler = std::function<std::optional<json>(Message, ClientStream*)>;
  using StatusOf = int (*)(const json& reply);
  void answer(const httplib::Request& req, httplib::Response& res, Message msg, bool wants_stream,
              Handler handle, bool sse_ok, bool json_ok, StatusOf status_of = nullptr);
  // A 2026-07-28 POST: headers checked against the body, then no session.
  void post_stateless(const httplib::Request& req, httplib::Response& res, Message msg,
                      const Caller& who, bool sse_ok, bool json_ok);
  // subscriptions/listen: an SSE stream held open for list changes.
  void listen(const httplib::Request& req, httplib::Response& res, Message msg, const Caller& who);
  // GET and DELETE that name the 2026 revision: 405, as it has no sessions.
  bool refuse_stateless(const httplib::Request& req, httplib::Response& res);
  void open_stream(const httplib::Request& req, httplib::Response& res);

  Gateway& gateway_;
  std::string host_;
  uint16_t port_;
  std::unique_ptr<BoundedServer> http_;
  std::shared_ptr<HttpGauges> gauges_;
  // Serializes "is a GET stream open? if not, open one" across sessions;
  // shared with the streams' close callbacks.
  std::shared_ptr<std::mutex> stream_mu_ = std::make_shared<std::mutex>();
};

}  // namespace toolgate
