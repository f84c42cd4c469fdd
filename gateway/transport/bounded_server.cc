#include "gateway/transport/bounded_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "common/json_limits.h"
#include "common/log.h"
#include "gateway/protocol/jsonrpc.h"

namespace toolgate {
namespace {

using Clock = std::chrono::steady_clock;

const char* status_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    default:
      return "Error";
  }
}

// Waits for `events` on `fd`, up to `ms`; false on timeout or error.
bool wait_for(int fd, short events, int ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    int r = ::poll(&p, 1, ms);
    if (r < 0 && errno == EINTR) continue;
    return r > 0 && (p.revents & events) && !(p.revents & (POLLERR | POLLNVAL));
  }
}

void address_of(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  if ((peer ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len)) != 0) return;
  char text[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
  }
  ip = text;
}

// One connection's socket, read through RequestFraming. cpp-httplib parses
// whatever read() returns; read() returns only what the current request
// may still take, end of input once its body is complete, and an error
// once it is refused, after answering the client itself.
class BoundedStream final : public httplib::Stream {
 public:
  BoundedStream(int sock, const HttpLimits& limits, int read_timeout_ms, int write_timeout_ms)
      : sock_(sock),
        limits_(limits),
        framing_(limits),
        read_timeout_ms_(read_timeout_ms),
        write_timeout_ms_(write_timeout_ms) {}

  // Waits for the next request's first byte, up to `idle_ms`, giving up
  // early once `serving()` turns false (the server is stopping).
  template <typename Serving>
  bool next_request(int idle_ms, Serving serving) {
    auto until = Clock::now() + std::chrono::milliseconds(idle_ms);
    while (off_ == len_) {
      if (!serving() || Clock::now() >= until) return false;
      if (wait_for(sock_, POLLIN, 100)) break;
    }
    framing_.begin();
    deadline_ = Clock::now() + std::chrono::milliseconds(limits_.header_timeout_ms);
    in_head_ = true;
    return true;
  }
  bool refused() const { return refused_; }

  bool is_readable() const override {
    return off_ < len_ || wait_for(sock_, POLLIN, read_timeout_ms_);
  }
  bool is_writable() const override {
    return !refused_ && wait_for(sock_, POLLOUT, write_timeout_ms_);
  }
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address_of(sock_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address_of(sock_, false, ip, port);
  }
  socket_t socket() const override { return sock_; }

  // After a refusal the client may still be sending. Closing with its bytes
  // unread would reset the connection, and a reset can destroy the answer
  // before the client reads it; so read and drop a little first.
  void drain_briefly() {
    ::shutdown(sock_, SHUT_WR);
    auto until = Clock::now() + std::chrono::milliseconds(500);
    size_t dropped = 0;
    while (dropped < (4u << 20) && Clock::now() < until && wait_for(sock_, POLLIN, 100)) {
      ssize_t n = ::recv(sock_, buf_, sizeof buf_, 0);
      if (n <= 0) break;
      dropped += size_t(n);
    }
  }

 private:
  bool fill();
  void answer(const Refusal& r);

  const int sock_;
  const HttpLimits limits_;
  RequestFraming framing_;
  const int read_timeout_ms_, write_timeout_ms_;
  char buf_[16384];
  size_t off_ = 0, len_ = 0;
  Clock::time_point deadline_;  // of the request's head, then of its body
  bool in_head_ = true;
  bool refused_ = false;
};

ssize_t BoundedStream::read(char* ptr, size_t size) {
  if (refused_) return -1;
  if (framing_.complete()) return 0;  // what follows is the next request's
  if (off_ == len_ && !fill()) return -1;
  size_t take = framing_.admit(buf_ + off_, std::min(size, len_ - off_));
  if (in_head_ && !framing_.in_head()) {
    in_head_ = false;
    deadline_ = Clock::now() + std::chrono::milliseconds(limits_.body_timeout_ms);
  }
  if (take == 0) {
    if (framing_.refusal()) {
      answer(*framing_.refusal());
      return -1;
    }
    return 0;
  }
  std::copy(buf_ + off_, buf_ + off_ + take, ptr);
  off_ += take;
  return ssize_t(take);
}

bool BoundedStream::fill() {
  // A deadline for the whole head, and one for the whole body: a client
  // that sends a byte now and then resets no timer (slowloris).
  auto timed_out = [this] {
    if (framing_.started())
      answer({408, in_head_ ? "Request Timeout: the request's head took longer than " +
                                  std::to_string(limits_.header_timeout_ms) + " ms"
                            : "Request Timeout: the request's body took longer than " +
                                  std::to_string(limits_.body_timeout_ms) + " ms"});
    return false;
  };
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    if (left <= 0) return timed_out();
    bool until_deadline = left <= read_timeout_ms_;
    if (!wait_for(sock_, POLLIN, int(until_deadline ? left : read_timeout_ms_)))
      return until_deadline ? timed_out() : false;
    ssize_t n = ::recv(sock_, buf_, sizeof buf_, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off_ = 0;
    len_ = size_t(n);
    return true;
  }
}

ssize_t BoundedStream::write(const char* ptr, size_t size) {
  // cpp-httplib writes its own error after a failed read; the client has
  // had ours.
  if (refused_) return ssize_t(size);
  if (!wait_for(sock_, POLLOUT, write_timeout_ms_)) return -1;
  for (;;) {
    ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

void BoundedStream::answer(const Refusal& r) {
  std::string peer;
  int port = 0;
  get_remote_ip_and_port(peer, port);
  log::info("HTTP request refused", {{"status", r.status}, {"reason", r.reason}, {"peer", peer}});
  std::string body = dump_safe(make_error(nullptr, rpc::kInvalidRequest, r.reason));
  std::string out =
      "HTTP/1.1 " + std::to_string(r.status) + " " + status_phrase(r.status) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  for (size_t sent = 0; sent < out.size();) {
    ssize_t n = write(out.data() + sent, out.size() - sent);
    if (n <= 0) break;
    sent += size_t(n);
  }
  refused_ = true;
}

}  // namespace

bool BoundedServer::widen_backlog(int backlog) {
  socket_t s = svr_sock_;
  return s != INVALID_SOCKET && ::listen(s, backlog) == 0;
}

bool BoundedServer::process_and_close_socket(socket_t sock) {
  BoundedStream strm(sock, limits_, int(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000),
                     int(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000));
  auto serving = [this] { return svr_sock_ != INVALID_SOCKET; };
  bool ok = false;
  for (size_t left = keep_alive_max_count_;
       left > 0 && strm.next_request(int(keep_alive_timeout_sec_ * 1000), serving); --left) {
    bool connection_closed = false;
    ok = process_request(strm, left == 1, connection_closed, nullptr);
    if (strm.refused()) {
      strm.drain_briefly();
      break;
    }
    if (!ok || connection_closed) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace toolgate
