#include "gateway/identity/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cctype>

#include "common/text.h"

namespace toolgate {

Caller local_caller(const ServerConfig& cfg) {
  return {cfg.local_caller_id, cfg.local_caller_roles};
}

Result<Caller> authenticate(const ServerConfig& cfg, const std::string& authorization) {
  // Without keys nobody over HTTP is known: no roles, whatever the local
  // caller has (the listener may not be loopback only).
  if (cfg.api_keys.empty()) return Caller{"anonymous", {}};
  std::string scheme = ascii_lower(authorization.substr(0, 7));
  if (scheme != "bearer ") {
    return Error{rpc::kInvalidRequest, "Unauthorized: send Authorization: Bearer <api key>"};
  }
  std::string key = authorization.substr(7);
  while (!key.empty() && key.front() == ' ') key.erase(0, 1);
  while (!key.empty() && (key.back() == ' ' || key.back() == '\r')) key.pop_back();
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), md);
  // Every configured key is compared, without an early exit, so the time
  // taken says nothing about which (or whether one) matched.
  const ApiKey* found = nullptr;
  for (auto& k : cfg.api_keys) {
    bool eq = CRYPTO_memcmp(md, k.key_sha256.data(), sizeof md) == 0;
    if (eq && !found) found = &k;
  }
  if (!found) return Error{rpc::kInvalidRequest, "Unauthorized: unknown API key"};
  return Caller{found->caller, found->roles};
}

bool has_any_role(const Caller& c, const std::vector<std::string>& roles) {
  for (auto& r : c.roles)
    for (auto& want : roles)
      if (r == want) return true;
  return false;
}

}  // namespace toolgate
