#include "worker/net/egress_proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/frame.h"
#include "common/json_limits.h"
#include "worker/net/proxy_request.h"

namespace toolgate::worker {
namespace {

constexpr size_t kMaxHead = 16384;  // request head, before it is forwarded
// The proxy runs in the worker, outside the tool's memory cgroup: keep what
// a tool can make it buffer small (16 x 2 x 256 KiB at most).
constexpr size_t kMaxBuffer = 256 << 10;  // per direction; reading pauses past it
constexpr size_t kMaxConns = 16;

std::string http_error(int code, const char* reason, const std::string& text) {
  return "HTTP/1.1 " + std::to_string(code) + " " + reason +
         "\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
         std::to_string(text.size() + 1) + "\r\n\r\n" + text + "\n";
}

}  // namespace

struct EgressProxy::Conn {
  int client = -1, upstream = -1;
  std::string head, to_client, to_upstream;
  bool established = false, closing = false, client_eof = false, upstream_eof = false;
  ~Conn() {
    if (client >= 0) ::close(client);
    if (upstream >= 0) ::close(upstream);
  }
};

EgressProxy::EgressProxy(int listen_fd, int broker_fd)
    : listen_fd_(listen_fd), broker_fd_(broker_fd) {}

EgressProxy::~EgressProxy() {
  conns_.clear();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

int EgressProxy::listen_in_netns(int pid, int* port) {
  int self_ns = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int child_ns = ::open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
  if (self_ns < 0 || child_ns < 0) {
    int e = errno;
    if (self_ns >= 0) ::close(self_ns);
    if (child_ns >= 0) ::close(child_ns);
    return -e;
  }
  int result = 0;
  if (::setns(child_ns, CLONE_NEWNET) != 0) {
    result = -errno;
  } else {
    // Sockets belong to the namespace they are created in: this one lives
    // in the tool's, and stays there after we switch back.
    int ctl = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (ctl < 0 || ::ioctl(ctl, SIOCGIFFLAGS, &ifr) != 0) {
      result = -errno;
    } else {
      ifr.ifr_flags = short(ifr.ifr_flags | IFF_UP);
      if (::ioctl(ctl, SIOCSIFFLAGS, &ifr) != 0) result = -errno;
    }
    if (ctl >= 0) ::close(ctl);
    int fd = result == 0 ? ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0) : -1;
    if (result == 0 && fd < 0) result = -errno;
    if (fd >= 0) {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof a;
      if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0 ||
          ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        result = -errno;
        ::close(fd);
      } else {
        *port = ntohs(a.sin_port);
        result = fd;
      }
    }
    if (::setns(self_ns, CLONE_NEWNET) != 0 && result >= 0) {
      ::close(result);
      result = -errno;
    }
  }
  ::close(self_ns);
  ::close(child_ns);
  return result;
}

void EgressProxy::add_pollfds(std::vector<pollfd>* fds) {
  fds->push_back({conns_.size() < kMaxConns ? listen_fd_ : -1, POLLIN, 0});
  for (auto& c : conns_) {
    short cin = 0, up = 0;
    if (!c->client_eof && c->to_upstream.size() < kMaxBuffer && !c->closing) cin |= POLLIN;
    if (!c->to_client.empty()) cin |= POLLOUT;
    if (c->upstream >= 0 && !c->upstream_eof && c->to_client.size() < kMaxBuffer) up |= POLLIN;
    if (c->upstream >= 0 && !c->to_upstream.empty()) up |= POLLOUT;
    fds->push_back({c->client, cin, 0});
    fds->push_back({c->upstream >= 0 ? c->upstream : -1, up, 0});
  }
}

void EgressProxy::accept_one() {
  int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;
  auto c = std::make_unique<Conn>();
  c->client = fd;
  conns_.push_back(std::move(c));
}

int request_connection(int gateway_fd, const std::string& host, int port, int timeout_ms,
                       std::string* why) {
  json req = {{"connect", {{"host", host}, {"port", port}}}};
  if (!write_frame(gateway_fd, dump_safe(req))) {
    *why = "the gateway broker is gone";
    return -1;
  }
  int fd = -1;
  FrameRead r = read_frame_with_fd(gateway_fd, 65536, timeout_ms, &fd);
  if (r.status != FrameStatus::ok) {
    if (fd >= 0) ::close(fd);
    *why = "no answer from the gateway broker";
    return -1;
  }
  json ans = json::parse(r.payload, nullptr, false);
  if (fd >= 0 && ans.is_object() && ans.value("connected", false)) return fd;
  if (fd >= 0) ::close(fd);
  *why = ans.is_object() ? ans.value("reason", std::string("refused")) : "refused";
  return -1;
}

void EgressProxy::on_request(Conn& c, int broker_timeout_ms) {
  ProxyRequest req = parse_proxy_request(c.head);
  c.head.clear();
  if (!req.ok()) {
    c.to_client = http_error(req.error_status, "Bad Request", req.error);
    c.closing = true;
    return;
  }
  std::string why;
  int up = request_connection(broker_fd_, req.host, req.port, broker_timeout_ms, &why);
  if (up < 0) {
    c.to_client = http_error(403, "Forbidden", why);
    c.closing = true;
    return;
  }
  ::fcntl(up, F_SETFL, ::fcntl(up, F_GETFL) | O_NONBLOCK);
  c.upstream = up;
  c.established = true;
  if (req.tunnel) {
    c.to_client = "HTTP/1.1 200 Connection established\r\n\r\n";
    c.to_upstream = std::move(req.after);
  } else {
    c.to_upstream = std::move(req.forward) + req.after;
  }
}

void EgressProxy::handle(const pollfd* fds, size_t n, int broker_timeout_ms) {
  if (n == 0) return;
  if (fds[0].revents & POLLIN) accept_one();
  char buf[65536];
  size_t i = 1;
  for (auto& cp : conns_) {
    if (i + 1 >= n) break;  // accepted during this round: polled next time
    Conn& c = *cp;
    const pollfd& pc = fds[i];
    const pollfd& pu = fds[i + 1];
    i += 2;
    if (pc.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = ::read(c.client, buf, sizeof buf);
      if (r > 0) {
        if (c.established) {
          c.to_upstream.append(buf, size_t(r));
        } else if (!c.closing) {
          c.head.append(buf, size_t(r));
          if (c.head.find("\r\n\r\n") != std::string::npos) {
            on_request(c, broker_timeout_ms);
          } else if (c.head.size() > kMaxHead) {
            c.to_client =
                http_error(431, "Request Header Fields Too Large", "request head too large");
            c.closing = true;
          }
        }
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        c.client_eof = true;
      }
    }
    if (c.upstream >= 0 && (pu.revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = ::read(c.upstream, buf, sizeof buf);
      if (r > 0) {
        c.to_client.append(buf, size_t(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        c.upstream_eof = true;
      }
    }
    if (!c.to_client.empty()) {
      ssize_t w = ::send(c.client, c.to_client.data(), c.to_client.size(), MSG_NOSIGNAL);
      if (w > 0) c.to_client.erase(0, size_t(w));
      if (w < 0 && errno != EAGAIN && errno != EINTR) c.client_eof = c.upstream_eof = true;
    }
    if (c.upstream >= 0 && !c.to_upstream.empty()) {
      ssize_t w = ::send(c.upstream, c.to_upstream.data(), c.to_upstream.size(), MSG_NOSIGNAL);
      if (w > 0) c.to_upstream.erase(0, size_t(w));
      if (w < 0 && errno != EAGAIN && errno != EINTR) c.upstream_eof = c.client_eof = true;
    }
    if (c.upstream_eof && c.to_client.empty()) ::shutdown(c.client, SHUT_WR);
    if (c.client_eof && c.upstream >= 0 && c.to_upstream.empty()) ::shutdown(c.upstream, SHUT_WR);
  }
  // Drop finished connections.
  for (size_t k = 0; k < conns_.size();) {
    Conn& c = *conns_[k];
    bool done = (c.closing && c.to_client.empty()) ||
                (c.client_eof && (c.upstream < 0 || c.upstream_eof)) ||
                (c.upstream_eof && c.to_client.empty() && c.client_eof);
    if (done) {
      conns_.erase(conns_.begin() + long(k));
    } else {
      ++k;
    }
  }
}

}  // namespace toolgate::worker
