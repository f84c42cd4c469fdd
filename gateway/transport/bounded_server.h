// The cpp-httplib server the gateway listens with: every connection reads
// through a stream that enforces HttpLimits (request_framing.h), whatever
// the body's framing, and answers a request past them itself (413, 411,
// 414, 431, 408, 400, 501), before cpp-httplib has buffered it.
//
// cpp-httplib serves a connection in a virtual process_and_close_socket()
// and parses requests in a protected process_request(Stream&, ...): this
// class replaces the first, with its own keep-alive loop, and hands the
// second its bounded stream instead of a plain socket stream.
//
//   BoundedServer http(limits);
//   http.Post("/mcp", handler);
//   http.bind_to_port("127.0.0.1", 8765);
//   http.widen_backlog();
//   http.listen_after_bind();
#pragma once

#include <httplib.h>

#include "gateway/transport/request_framing.h"

namespace toolgate {

class BoundedServer : public httplib::Server {
 public:
  explicit BoundedServer(HttpLimits limits) : limits_(limits) {}

  // cpp-httplib listens with a backlog of 5, and a burst of new clients
  // would overflow it while the accepting thread is busy. Linux lets a
  // listening socket listen() again to change that. Call after binding.
  bool widen_backlog(int backlog = 4096);

 private:
  bool process_and_close_socket(socket_t sock) override;

  const HttpLimits limits_;
};

}  // namespace toolgate
