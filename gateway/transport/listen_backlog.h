// Debian's cpp-httplib (0.11.4) is a compiled library: it listens with a
// backlog of 5, whatever CPPHTTPLIB_LISTEN_BACKLOG its includer defines. A
// burst of new clients then overflows the accept queue while the accepting
// thread is busy, and some connections are dropped before any request is
// read. Linux lets a socket listen() again to change its backlog: this finds
// the listening socket bound to `port` among our fds and does that.
//
//   int port = svr.bind_to_any_port("127.0.0.1");
//   widen_listen_backlog(uint16_t(port));
//   svr.listen_after_bind();
#pragma once

#include <cstdint>

namespace toolgate {

// False when no listening socket of ours is bound to `port`.
bool widen_listen_backlog(uint16_t port, int backlog = 4096);

}  // namespace toolgate
