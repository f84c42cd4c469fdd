// The worker's HTTP proxy for script tools granted egress. It listens on the
// loopback of the tool's own network namespace (HTTP_PROXY/HTTPS_PROXY
// point at it) and turns each CONNECT or absolute-form request into a
// connect request to the gateway's broker, which checks the source's
// allow-list, connects and hands back the socket. Every connection, and so
// every redirect hop, is checked on its own.
//
//   int port, fd = EgressProxy::listen_in_netns(tool_pid, &port);  // HTTP_PROXY=127.0.0.1:port
//   EgressProxy proxy(fd, frame_fd);
//   proxy.add_pollfds(&fds);  poll(...);  proxy.handle(&fds[k], n, 10000);
#pragma once

#include <poll.h>

#include <memory>
#include <string>
#include <vector>

namespace toolgate::worker {

// Asks the gateway's broker (over the worker's frame socket) for a
// connection to host:port. Returns the connected fd, or -1 with *why.
int request_connection(int gateway_fd, const std::string& host, int port, int timeout_ms,
                       std::string* why);

class EgressProxy {
 public:
  // `listen_fd`: a listening socket in the tool's network namespace.
  // `broker_fd`: the worker's frame socket to the gateway.
  EgressProxy(int listen_fd, int broker_fd);
  ~EgressProxy();
  EgressProxy(const EgressProxy&) = delete;
  EgressProxy& operator=(const EgressProxy&) = delete;

  // Appends the descriptors to poll; `handle` takes the same slice back.
  void add_pollfds(std::vector<pollfd>* fds);
  void handle(const pollfd* fds, size_t n, int broker_timeout_ms);

  // Creates a listening socket on 127.0.0.1 inside the network namespace of
  // `pid`, with its loopback brought up. Returns the fd (port in *port) or
  // -errno.
  static int listen_in_netns(int pid, int* port);

 private:
  struct Conn;
  void accept_one();
  void on_request(Conn& c, int broker_timeout_ms);
  int listen_fd_;
  int broker_fd_;
  std::vector<std::unique_ptr<Conn>> conns_;
};

}  // namespace toolgate::worker
