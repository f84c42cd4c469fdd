// The requestState of MCP 2026-07-28 input_required results: what a
// stateless server hands the client to bring back with its answers. It
// crosses the client (and whatever model drives it), so it is sealed: an
// HMAC-SHA256 over its claims with a key only the gateway holds. A state
// that was altered, has expired, or is brought back by another caller, for
// another tool or other arguments, is refused.
//
//   RequestStateSealer sealer;                                 // a fresh random key
//   std::string s = sealer.seal({{"approval", id}, ...}, 300000);
//   Result<json> claims = sealer.open(s);                      // checks MAC and expiry
#pragma once

#include <cstdint>
#include <string>

#include "common/json_limits.h"
#include "common/result.h"

namespace toolgate {

class RequestStateSealer {
 public:
  // A random 256-bit key: states live no longer than this process.
  RequestStateSealer();
  // A given key (tests, and replicas that must share one).
  explicit RequestStateSealer(std::string key) : key_(std::move(key)) {}

  // `claims` (an object) with an expiry `ttl_ms` from now.
  std::string seal(json claims, uint64_t ttl_ms) const;
  // The claims, or why the state is refused (kInvalidParams).
  Result<json> open(const std::string& state) const;

 private:
  std::string mac(const std::string& payload) const;
  std::string key_;
};

}  // namespace toolgate
