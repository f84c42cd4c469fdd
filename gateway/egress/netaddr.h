// IP addresses and the ranges egress denies by default. Pure functions:
// nothing here opens a socket or resolves a name.
//
//   auto a = parse_ip("::ffff:10.0.0.1");
//   denied_range(*a)             -> "private (RFC 1918)"
//   Cidr::parse("10.0.0.0/8")->contains(*a) -> true
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sockaddr;

namespace toolgate {

struct IpAddr {
  bool v6 = false;
  std::array<uint8_t, 16> b{};  // v4: first 4 bytes
  std::string to_string() const;
  bool operator==(const IpAddr& o) const { return v6 == o.v6 && b == o.b; }
};

// Strict textual forms only: dotted-quad IPv4 and RFC 4291 IPv6 (brackets
// allowed). "2130706433", "0x7f.1" or "0177.0.0.1" are not IP literals here;
// see parse_ip_legacy for what a C resolver would make of them.
std::optional<IpAddr> parse_ip(std::string_view s);

// The inet_aton forms a resolver accepts as numbers: decimal ("2130706433"),
// octal ("0177.0.0.1"), hex ("0x7f.0.0.1") and short forms ("127.1").
std::optional<IpAddr> parse_ip_legacy(std::string_view s);

std::optional<IpAddr> from_sockaddr(const sockaddr* sa);

// The default-denied range `a` falls in ("loopback", "private (RFC 1918)",
// "link-local", "cloud metadata", "unique local (IPv6 ULA)", ...), or null
// when it is a public address. IPv4-mapped, IPv4-compatible and NAT64 IPv6
// addresses are judged by the IPv4 address inside.
const char* denied_range(const IpAddr& a);

struct Cidr {
  IpAddr base;
  int prefix = 0;
  static std::optional<Cidr> parse(std::string_view s);  // "10.0.0.0/8", "fd00::/8", "1.2.3.4"
  bool contains(const IpAddr& a) const;
};

}  // namespace toolgate
