#include "gateway/egress/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace toolgate {
namespace {

IpAddr v4(uint32_t host_order) {
  IpAddr a;
  a.b[0] = uint8_t(host_order >> 24);
  a.b[1] = uint8_t(host_order >> 16);
  a.b[2] = uint8_t(host_order >> 8);
  a.b[3] = uint8_t(host_order);
  return a;
}

uint32_t v4_value(const IpAddr& a) {
  return (uint32_t(a.b[0]) << 24) | (uint32_t(a.b[1]) << 16) | (uint32_t(a.b[2]) << 8) | a.b[3];
}

bool in4(uint32_t v, uint32_t base, int prefix) {
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t(0) << (32 - prefix);
  return (v & mask) == (base & mask);
}

const char* denied_v4(uint32_t v) {
  if (in4(v, 0x7F000000, 8)) return "loopback";
  if (v == 0xA9FEA9FE) return "cloud metadata";
  if (in4(v, 0xA9FE0000, 16)) return "link-local";
  if (in4(v, 0x0A000000, 8) || in4(v, 0xAC100000, 12) || in4(v, 0xC0A80000, 16)) {
    return "private (RFC 1918)";
  }
  if (in4(v, 0x00000000, 8)) return "this network (0.0.0.0/8)";
  if (in4(v, 0x64400000, 10)) return "shared address space (RFC 6598)";
  if (in4(v, 0xC0000000, 24)) return "IETF protocol assignments";
  if (in4(v, 0xE0000000, 4)) return "multicast";
  if (in4(v, 0xF0000000, 4)) return "reserved";
  return nullptr;
}

}  // namespace

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(v6 ? AF_INET6 : AF_INET, b.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddr> parse_ip(std::string_view s) {
  std::string t(s);
  if (t.size() >= 2 && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);
  IpAddr a;
  if (inet_pton(AF_INET, t.c_str(), a.b.data()) == 1) return a;
  if (inet_pton(AF_INET6, t.c_str(), a.b.data()) == 1) {
    a.v6 = true;
    return a;
  }
  return std::nullopt;
}

std::optional<IpAddr> parse_ip_legacy(std::string_view s) {
  std::string t(s);
  if (t.empty() || t.size() > 64) return std::nullopt;
  in_addr in{};
  if (inet_aton(t.c_str(), &in) == 0) return std::nullopt;
  return v4(ntohl(in.s_addr));
}

std::optional<IpAddr> from_sockaddr(const sockaddr* sa) {
  IpAddr a;
  if (sa->sa_family == AF_INET) {
    auto* s4 = reinterpret_cast<const sockaddr_in*>(sa);
    std::memcpy(a.b.data(), &s4->sin_addr, 4);
    return a;
  }
  if (sa->sa_family == AF_INET6) {
    auto* s6 = reinterpret_cast<const sockaddr_in6*>(sa);
    std::memcpy(a.b.data(), &s6->sin6_addr, 16);
    a.v6 = true;
    return a;
  }
  return std::nullopt;
}

const char* denied_range(const IpAddr& a) {
  if (!a.v6) return denied_v4(v4_value(a));
  const auto& b = a.b;
  auto zero = [&](int from, int to) {
    for (int i = from; i < to; ++i)
      if (b[size_t(i)] != 0) return false;
    return true;
  };
  auto embedded = [&](int at) {
    return v4((uint32_t(b[size_t(at)]) << 24) | (uint32_t(b[size_t(at) + 1]) << 16) |
              (uint32_t(b[size_t(at) + 2]) << 8) | b[size_t(at) + 3]);
  };
  if (zero(0, 15) && b[15] == 1) return "loopback";
  if (zero(0, 16)) return "unspecified";
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible): the IPv4 address decides.
  if (zero(0, 10) && b[10] == 0xff && b[11] == 0xff) return denied_v4(v4_value(embedded(12)));
  if (zero(0, 12)) return denied_v4(v4_value(embedded(12)));
  // 64:ff9b::/96 NAT64 carries an IPv4 address in its last 32 bits.
  if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zero(4, 12)) {
    return denied_v4(v4_value(embedded(12)));
  }
  if (b[0] == 0xfd && b[1] == 0x00 && b[2] == 0x0e && b[3] == 0xc2 && zero(4, 14) &&
      b[14] == 0x02 && b[15] == 0x54) {
    return "cloud metadata";  // fd00:ec2::254
  }
  if ((b[0] & 0xfe) == 0xfc) return "unique local (IPv6 ULA)";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "site-local (deprecated)";
  if (b[0] == 0xff) return "multicast";
  return nullptr;
}

std::optional<Cidr> Cidr::parse(std::string_view s) {
  std::string t(s);
  int prefix = -1;
  if (auto slash = t.find('/'); slash != std::string::npos) {
    std::string p = t.substr(slash + 1);
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    prefix = std::stoi(p);
    t = t.substr(0, slash);
  }
  auto a = parse_ip(t);
  if (!a) return std::nullopt;
  int max = a->v6 ? 128 : 32;
  if (prefix < 0) prefix = max;
  if (prefix > max) return std::nullopt;
  return Cidr{*a, prefix};
}

bool Cidr::contains(const IpAddr& a) const {
  IpAddr x = a;
  // An IPv4-mapped address matches IPv4 ranges.
  if (x.v6 && !base.v6) {
    bool mapped = true;
    for (int i = 0; i < 10; ++i) mapped = mapped && x.b[size_t(i)] == 0;
    mapped = mapped && x.b[10] == 0xff && x.b[11] == 0xff;
    if (!mapped) return false;
    IpAddr y;
    std::memcpy(y.b.data(), x.b.data() + 12, 4);
    x = y;
  }
  if (x.v6 != base.v6) return false;
  int full = prefix / 8, rest = prefix % 8;
  for (int i = 0; i < full; ++i)
    if (x.b[size_t(i)] != base.b[size_t(i)]) return false;
  if (rest == 0) return true;
  uint8_t mask = uint8_t(0xff << (8 - rest));
  return (x.b[size_t(full)] & mask) == (base.b[size_t(full)] & mask);
}

}  // namespace toolgate
