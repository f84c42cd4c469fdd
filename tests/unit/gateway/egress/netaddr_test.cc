// The address classifier and egress rules. Pure: nothing here sends a packet
// or asks a real resolver (lookups are tested with resolvers the test
// provides).
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "gateway/egress/egress.h"
#include "gateway/egress/netaddr.h"

using namespace toolgate;

namespace {
std::string range_of(const char* s) {
  auto a = parse_ip(s);
  REQUIRE_MESSAGE(a, s);
  const char* r = denied_range(*a);
  return r ? r : "public";
}
}  // namespace

TEST_CASE("denied ranges: IPv4 private, loopback, link-local and metadata") {
  CHECK(range_of("127.0.0.1") == "loopback");
  CHECK(range_of("127.255.0.9") == "loopback");
  CHECK(range_of("10.1.2.3") == "private (RFC 1918)");
  CHECK(range_of("172.16.0.1") == "private (RFC 1918)");
  CHECK(range_of("172.31.255.255") == "private (RFC 1918)");
  CHECK(range_of("172.32.0.1") == "public");
  CHECK(range_of("192.168.1.1") == "private (RFC 1918)");
  CHECK(range_of("169.254.169.254") == "cloud metadata");
  CHECK(range_of("169.254.1.1") == "link-local");
  CHECK(range_of("0.0.0.0") == "this network (0.0.0.0/8)");
  CHECK(range_of("100.64.0.1") == "shared address space (RFC 6598)");
  CHECK(range_of("224.0.0.1") == "multicast");
  CHECK(range_of("8.8.8.8") == "public");
}

TEST_CASE("denied ranges: IPv6 loopback, ULA, link-local and embedded IPv4") {
  CHECK(range_of("::1") == "loopback");
  CHECK(range_of("[::1]") == "loopback");
  CHECK(range_of("::") == "unspecified");
  CHECK(range_of("fd12:3456::1") == "unique local (IPv6 ULA)");
  CHECK(range_of("fc00::1") == "unique local (IPv6 ULA)");
  CHECK(range_of("fe80::1") == "link-local");
  CHECK(range_of("fd00:ec2::254") == "cloud metadata");
  CHECK(range_of("::ffff:127.0.0.1") == "loopback");
  CHECK(range_of("::ffff:10.0.0.1") == "private (RFC 1918)");
  CHECK(range_of("::ffff:8.8.8.8") == "public");
  CHECK(range_of("::127.0.0.1") == "loopback");
  CHECK(range_of("64:ff9b::a9fe:a9fe") == "cloud metadata");
  CHECK(range_of("2001:4860:4860::8888") == "public");
}

TEST_CASE("numeric host forms: decimal, octal, hex and short forms decode to IPv4") {
  CHECK_FALSE(parse_ip("2130706433"));  // not a strict literal...
  auto dec = parse_ip_legacy("2130706433");
  REQUIRE(dec);  // ...but a resolver reads it as 127.0.0.1
  CHECK(dec->to_string() == "127.0.0.1");
  CHECK(parse_ip_legacy("0177.0.0.1")->to_string() == "127.0.0.1");
  CHECK(parse_ip_legacy("0x7f.0.0.1")->to_string() == "127.0.0.1");
  CHECK(parse_ip_legacy("0x7f000001")->to_string() == "127.0.0.1");
  CHECK(parse_ip_legacy("127.1")->to_string() == "127.0.0.1");
  CHECK(parse_ip_legacy("0xa9fea9fe")->to_string() == "169.254.169.254");
  CHECK_FALSE(parse_ip_legacy("example.com"));
}

TEST_CASE("CIDR parsing and containment, including IPv4-mapped addresses") {
  auto c = Cidr::parse("10.0.0.0/8");
  REQUIRE(c);
  CHECK(c->contains(*parse_ip("10.200.0.1")));
  CHECK_FALSE(c->contains(*parse_ip("11.0.0.1")));
  CHECK(c->contains(*parse_ip("::ffff:10.0.0.1")));
  auto single = Cidr::parse("127.0.0.1");
  REQUIRE(single);
  CHECK(single->prefix == 32);
  CHECK_FALSE(single->contains(*parse_ip("127.0.0.2")));
  auto v6 = Cidr::parse("fd00::/8");
  REQUIRE(v6);
  CHECK(v6->contains(*parse_ip("fd12::1")));
  CHECK_FALSE(v6->contains(*parse_ip("fe80::1")));
  CHECK_FALSE(Cidr::parse("10.0.0.0/33"));
  CHECK_FALSE(Cidr::parse("nonsense/8"));
}

TEST_CASE("egress rules: parsing errors name the entry") {
  CHECK(EgressPolicy::parse({"api.github.com:443", "*.example.com", "10.0.0.0/8:*", "[::1]:8080"}));
  auto bad_port = EgressPolicy::parse({"host:99999"});
  REQUIRE_FALSE(bad_port);
  CHECK(bad_port.error().message.find("host:99999") != std::string::npos);
  CHECK_FALSE(EgressPolicy::parse({"::1:80"}));  // IPv6 needs brackets
  CHECK_FALSE(EgressPolicy::parse({"bad host!"}));
  CHECK_FALSE(EgressPolicy::parse({"10.0.0.0/99"}));
}

TEST_CASE("egress rules: names never reach denied ranges, IP and CIDR entries do") {
  auto p = EgressPolicy::parse({"*.example.com:443", "127.0.0.1:4010", "10.1.0.0/16"});
  REQUIRE(p);
  std::string why;
  // A public address under an allowed name and port.
  CHECK(p->address_allowed("api.example.com", 443, *parse_ip("93.184.216.34"), &why));
  // The same name resolving to a private address: refused, with the range named.
  CHECK_FALSE(p->address_allowed("api.example.com", 443, *parse_ip("10.9.9.9"), &why));
  CHECK(why.find("private (RFC 1918)") != std::string::npos);
  // Wrong port.
  CHECK_FALSE(p->address_allowed("api.example.com", 80, *parse_ip("93.184.216.34"), &why));
  // Explicit IP entry with its port.
  CHECK(p->address_allowed("127.0.0.1", 4010, *parse_ip("127.0.0.1"), &why));
  CHECK_FALSE(p->address_allowed("127.0.0.1", 4011, *parse_ip("127.0.0.1"), &why));
  // CIDR entry, any port, any name resolving into it.
  CHECK(p->address_allowed("db.internal", 5432, *parse_ip("10.1.2.3"), &why));
  CHECK_FALSE(p->address_allowed("db.internal", 5432, *parse_ip("10.2.0.1"), &why));
  // Mapped IPv6 forms of a denied address are still denied.
  CHECK_FALSE(
      p->address_allowed("api.example.com", 443, *parse_ip("::ffff:169.254.169.254"), &why));
}

TEST_CASE("egress connect refuses before resolving or connecting") {
  auto p = EgressPolicy::parse({"*.example.com:443"});
  REQUIRE(p);
  auto outside = p->connect("evil.test", 443, 100);
  REQUIRE_FALSE(outside);
  CHECK(outside.error().message.find("not in the egress allow-list") != std::string::npos);
  auto bad_name = p->connect("bad host", 443, 100);
  CHECK_FALSE(bad_name);
  // A numeric name matching the glob would be judged as the address it
  // encodes; "*" with a loopback number never connects.
  auto any = EgressPolicy::parse({"*:9"});
  auto numeric = any->connect("2130706433", 9, 100);
  REQUIRE_FALSE(numeric);
  CHECK(numeric.error().message.find("loopback") != std::string::npos);
}

namespace {

// A resolver that answers only when the test lets it, as a DNS server that
// never replies would (the test asks no real resolver).
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void release() {
    std::lock_guard<std::mutex> l(mu);
    open = true;
    cv.notify_all();
  }
};

Resolver gated(std::shared_ptr<Gate> g, const char* answer) {
  return [g, answer](const std::string&, std::vector<IpAddr>* out) {
    std::unique_lock<std::mutex> l(g->mu);
    g->cv.wait(l, [&] { return g->open; });
    out->push_back(*parse_ip(answer));
    return std::string();
  };
}

}  // namespace

TEST_CASE("egress name lookups end at the call's deadline, and at most 64 are pending") {
  auto gate = std::make_shared<Gate>();
  auto t0 = std::chrono::steady_clock::now();
  auto slow = resolve_within("stuck.example", 150, gated(gate, "192.0.2.1"));
  auto waited = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(slow);
  CHECK(slow.error().message == "resolving stuck.example timed out after 150 ms");
  // Not before the deadline (the resolver never answers, so only the
  // deadline can end the wait); how soon after it is bench_policy's
  // "egress lookup deadline" row.
  CHECK(waited >= std::chrono::milliseconds(150));

  // The deadline covers connect() as a whole: an allowed name whose lookup
  // hangs is refused in time, and nothing is connected.
  auto p = EgressPolicy::parse({"*.example:443"});
  auto c = p->connect("api.example", 443, 100, gated(gate, "192.0.2.1"));
  REQUIRE_FALSE(c);
  CHECK(c.error().message == "egress denied: resolving api.example timed out after 100 ms");

  // Fill the pending lookups (two are already waiting at the gate).
  std::vector<Result<std::vector<IpAddr>>> more;
  for (int i = 2; i < kMaxPendingLookups; ++i)
    more.push_back(resolve_within("n" + std::to_string(i), 0, gated(gate, "192.0.2.1")));
  auto refused = resolve_within("one.more", 1000, gated(gate, "192.0.2.1"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("too many name lookups in progress (64)") !=
        std::string::npos);

  // Once the resolver answers, the lookups left behind finish and free
  // their places; a prompt lookup then returns its addresses.
  gate->release();
  Result<std::vector<IpAddr>> ok = Error{0, "not tried"};
  for (int i = 0; i < 200 && !ok; ++i) {
    ok = resolve_within("fast.example", 1000, [](const std::string&, std::vector<IpAddr>* out) {
      out->push_back(*parse_ip("192.0.2.7"));
      return std::string();
    });
    if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(ok);
  REQUIRE(ok->size() == 1);
  CHECK((*ok)[0].to_string() == "192.0.2.7");
}
