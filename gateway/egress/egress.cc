#include "gateway/egress/egress.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "common/text.h"
#include "gateway/catalog/naming.h"

namespace toolgate {

std::string url_host_port(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "";
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return "";
  std::string rest = url.substr(scheme_end + 3);
  std::string hp = rest.substr(0, rest.find_first_of("/?#"));
  if (hp.empty() || hp.find('@') != std::string::npos) return "";
  bool has_port = hp.rfind(':') != std::string::npos && hp.back() != ']';
  return has_port ? hp : hp + (scheme == "https" ? ":443" : ":80");
}
namespace {

bool valid_hostname(const std::string& h) {
  if (h.empty() || h.size() > 253) return false;
  for (char c : h) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

// Connects to one pinned address with a timeout; returns the fd or -errno.
int connect_to(const IpAddr& a, int port, int timeout_ms) {
  sockaddr_storage ss{};
  socklen_t len;
  if (a.v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(uint16_t(port));
    std::memcpy(&s6->sin6_addr, a.b.data(), 16);
    len = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(uint16_t(port));
    std::memcpy(&s4->sin_addr, a.b.data(), 4);
    len = sizeof *s4;
  }
  int fd = ::socket(a.v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -errno;
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    rc = ::poll(&p, 1, timeout_ms);
    if (rc == 0) {
      ::close(fd);
      return -ETIMEDOUT;
    }
    int err = 0;
    socklen_t el = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err != 0) {
      ::close(fd);
      return -err;
    }
  } else if (rc != 0) {
    int e = errno;
    ::close(fd);
    return -e;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

}  // namespace

Result<EgressPolicy> EgressPolicy::parse(const std::vector<std::string>& entries) {
  EgressPolicy p;
  for (const auto& e : entries) {
    auto bad = [&](const std::string& why) {
      return Error{rpc::kInvalidParams, "egress entry '" + e + "': " + why};
    };
    Rule r;
    r.text = e;
    std::string host = e;
    std::string port;
    if (!host.empty() && host[0] == '[') {
      auto close = host.find(']');
      if (close == std::string::npos) return bad("unclosed '['");
      if (close + 1 < host.size()) {
        if (host[close + 1] != ':') return bad("expected ':' after ']'");
        port = host.substr(close + 2);
      }
      host = host.substr(1, close - 1);
    } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
      if (host.find(':') != colon) return bad("IPv6 addresses need brackets: [addr]:port");
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    if (host.empty()) return bad("no host");
    if (!port.empty() && port != "*") {
      if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
        return bad("port must be a number or '*'");
      }
      r.port = std::stoi(port);
      if (r.port < 1 || r.port > 65535) return bad("port out of range");
    }
    if (auto c = Cidr::parse(host)) {
      r.cidr = *c;
    } else if (host.find('/') != std::string::npos) {
      return bad("not a valid CIDR range");
    } else {
      std::string g = ascii_lower(host);
      for (char c : g) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
              c == '*' || c == '?')) {
          return bad("hosts are names, globs (*.example.com), IPs or CIDR ranges");
        }
      }
      r.host_glob = g;
    }
    p.rules_.push_back(std::move(r));
  }
  return p;
}

std::vector<std::string> EgressPolicy::entries() const {
  std::vector<std::string> out;
  for (auto& r : rules_) out.push_back(r.text);
  return out;
}

bool EgressPolicy::host_may_match(const std::string& host, int port) const {
  std::string h = ascii_lower(host);
  for (auto& r : rules_) {
    if (r.port != -1 && r.port != port) continue;
    if (r.cidr) return true;  // any name may resolve into a range
    if (glob_match(r.host_glob, h)) return true;
  }
  return false;
}

bool EgressPolicy::address_allowed(const std::string& host, int port, const IpAddr& a,
                                   std::string* why) const {
  std::string h = ascii_lower(host);
  const char* range = denied_range(a);
  bool name_matched = false;
  for (auto& r : rules_) {
    if (r.port != -1 && r.port != port) continue;
    if (r.cidr && r.cidr->contains(a)) return true;  // explicitly allowed addresses
    if (!r.cidr && glob_match(r.host_glob, h)) name_matched = true;
  }
  if (name_matched && !range) return true;
  if (name_matched) {
    *why = host + " resolves to " + a.to_string() + ", a " + range +
           " address; allow it explicitly with an IP or CIDR entry";
  } else {
    *why = host + ":" + std::to_string(port) + " is not in the egress allow-list";
  }
  return false;
}

std::string system_resolve(const std::string& host, std::vector<IpAddr>* out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) return gai_strerror(rc);
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    if (auto a = from_sockaddr(ai->ai_addr)) out->push_back(*a);
  }
  ::freeaddrinfo(res);
  return "";
}

Result<std::vector<IpAddr>> resolve_within(const std::string& host, int timeout_ms,
                                           const Resolver& resolve) {
  static std::atomic<int> pending{0};
  struct Lookup {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::string err;
    std::vector<IpAddr> addrs;
  };
  if (pending.fetch_add(1) >= kMaxPendingLookups) {
    --pending;
    return Error{rpc::kInvalidRequest, "too many name lookups in progress (" +
                                           std::to_string(kMaxPendingLookups) +
                                           "); cannot resolve " + host + " now"};
  }
  // Shared with the lookup's thread, which may outlive this call.
  auto l = std::make_shared<Lookup>();
  try {
    std::thread([l, host, resolve] {
      std::vector<IpAddr> addrs;
      std::string err = resolve(host, &addrs);
      {
        std::lock_guard<std::mutex> lock(l->mu);
        l->err = std::move(err);
        l->addrs = std::move(addrs);
        l->done = true;
      }
      l->cv.notify_all();
      --pending;
    }).detach();
  } catch (const std::system_error&) {
    --pending;
    return Error{rpc::kInternalError, "cannot start a name lookup for " + host};
  }
  std::unique_lock<std::mutex> lock(l->mu);
  if (!l->cv.wait_for(lock, std::chrono::milliseconds(std::max(timeout_ms, 0)),
                      [&] { return l->done; })) {
    return Error{rpc::kInvalidRequest,
                 "resolving " + host + " timed out after " + std::to_string(timeout_ms) + " ms"};
  }
  if (!l->err.empty()) return Error{rpc::kInvalidRequest, "cannot resolve " + host + ": " + l->err};
  return std::move(l->addrs);
}

Result<int> EgressPolicy::connect(const std::string& host_in, int port, int timeout_ms,
                                  const Resolver& resolve) const {
  auto deny = [](const std::string& why) {
    return Error{rpc::kInvalidRequest, "egress denied: " + why};
  };
  if (port < 1 || port > 65535) return deny("bad port");
  std::string host = host_in;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto literal = parse_ip(host);
  if (!literal && !valid_hostname(host)) return deny("bad host name");
  if (!host_may_match(host, port)) {
    return deny(host + ":" + std::to_string(port) + " is not in the egress allow-list");
  }
  // Numbers a resolver would read as an address ("2130706433", "0x7f.1")
  // are judged as that address, never passed to DNS.
  if (!literal) literal = parse_ip_legacy(host);
  // One deadline for the lookup and all addresses, so neither a resolver
  // that never answers nor a name with many unreachable addresses can hold
  // the call past its budget.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::vector<IpAddr> addrs;
  if (literal) {
    addrs.push_back(*literal);
  } else {
    auto found = resolve_within(host, timeout_ms, resolve);
    if (!found) return deny(found.error().message);
    addrs = std::move(*found);
  }
  std::string why = "no address for " + host;
  for (const auto& a : addrs) {
    if (!address_allowed(host, port, a, &why)) continue;
    int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(
                       deadline - std::chrono::steady_clock::now())
                       .count());
    if (left <= 0) {
      why = "connect to " + host + ":" + std::to_string(port) + " timed out";
      break;
    }
    int fd = connect_to(a, port, left);
    if (fd >= 0) return fd;
    why = "connect to " + a.to_string() + ":" + std::to_string(port) +
          " failed: " + std::strerror(-fd);
  }
  return deny(why);
}

}  // namespace toolgate
