// Brokered egress: the gateway decides and makes every outbound connection
// a worker asks for, then hands the connected socket over (SCM_RIGHTS).
// Tools live in an empty network namespace, so this is the only way out.
//
//   auto p = EgressPolicy::parse({"api.github.com:443", "127.0.0.1:4010"});
//   auto fd = p->connect("api.github.com", 443, 5000);   // or an Error saying why
//
// Entries: HOSTGLOB[:PORT], IP[:PORT], CIDR[:PORT], [IPv6][:PORT]; PORT may
// be '*', and a missing port means any. A host glob never reaches a
// default-denied address (loopback, RFC 1918, link-local, metadata, ULA,
// ...); an IP or CIDR entry allows exactly the addresses it names. The
// address is pinned when it is checked: the connection goes to the address
// that was checked, so DNS rebinding has nothing to exploit.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "gateway/egress/netaddr.h"

namespace toolgate {

// "host:port" of an http(s) URL (the scheme's port when none is given), as
// an allow-list entry; "" for other schemes and URLs with credentials.
std::string url_host_port(const std::string& url);

// Looks `host` up; returns "" and fills `out`, or says why it failed.
using Resolver = std::function<std::string(const std::string& host, std::vector<IpAddr>* out)>;
// getaddrinfo, through the system's resolver configuration.
std::string system_resolve(const std::string& host, std::vector<IpAddr>* out);

// getaddrinfo has no timeout of its own (the resolver's retries can take
// tens of seconds), so the lookup runs on a thread of its own and the caller
// waits at most `timeout_ms`; a lookup left behind finishes on its own. At
// most kMaxPendingLookups run at once, so a tool asking for names that never
// answer cannot pile up threads in the gateway.
constexpr int kMaxPendingLookups = 64;
Result<std::vector<IpAddr>> resolve_within(const std::string& host, int timeout_ms,
                                           const Resolver& resolve = system_resolve);

class EgressPolicy {
 public:
  struct Rule {
    std::string host_glob;  // lower-case; empty for IP/CIDR rules
    std::optional<Cidr> cidr;
    int port = -1;  // -1: any
    std::string text;
  };

  // Errors carry the offending entry.
  static Result<EgressPolicy> parse(const std::vector<std::string>& entries);
  bool empty() const { return rules_.empty(); }
  std::vector<std::string> entries() const;

  // Whether an address reached under `host` may be connected to (pure).
  // On refusal `*why` says which rule or range refused it.
  bool address_allowed(const std::string& host, int port, const IpAddr& a, std::string* why) const;
  // Whether any rule could allow `host:port` before resolving it (pure).
  bool host_may_match(const std::string& host, int port) const;

  // Checks, resolves, filters, connects, all within `timeout_ms`. Returns a
  // connected, blocking fd.
  Result<int> connect(const std::string& host, int port, int timeout_ms,
                      const Resolver& resolve = system_resolve) const;

 private:
  std::vector<Rule> rules_;
};

}  // namespace toolgate
