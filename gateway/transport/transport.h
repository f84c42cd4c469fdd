// Transports carry MCP messages between clients and a Server.
//
//   StdioTransport t(server, caller);  t.run();      // until stdin closes
//   HttpTransport h(server);  h.bind(); h.run();     // until stop()
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "gateway/gateway.h"

namespace httplib {
class Server;
}

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
  StdioTransport(Server& server, Caller caller, int in_fd = 0, int out_fd = 1);
  ~StdioTransport() override;
  int run() override;
  void stop() override;

 private:
  Server& server_;
  Caller caller_;
  int in_fd_, out_fd_;
  int wake_[2] = {-1, -1};
};

// Streamable HTTP at /mcp, plus /healthz and /readyz.
struct HttpGauges;  // elastic_pool.h

class HttpTransport : public Transport {
 public:
  HttpTransport(Server& server, std::string host, uint16_t port);
  ~HttpTransport() override;
  // Binds the listening socket; false (with a log line) on failure.
  bool bind();
  uint16_t port() const { return port_; }
  int run() override;
  void stop() override;

 private:
  void install_routes();
  Server& server_;
  std::string host_;
  uint16_t port_;
  std::unique_ptr<httplib::Server> http_;
  std::shared_ptr<HttpGauges> gauges_;
};

}  // namespace toolgate
