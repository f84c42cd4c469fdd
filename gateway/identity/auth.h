// Who an HTTP request comes from. With server.auth.api_keys configured, a
// request must carry `Authorization: Bearer <key>`; the key is hashed and
// compared in constant time against every configured hash. Without keys,
// every request is the caller "anonymous", with no roles. OAuth and JWT
// callers will plug in here.
//
//   auto who = authenticate(cfg->server, req.get_header_value("Authorization"));
//   if (!who) return reply_401(who.error().message);
#pragma once

#include <string>

#include "common/result.h"
#include "gateway/config/config.h"
#include "gateway/policy/policy.h"

namespace toolgate {

Caller local_caller(const ServerConfig& cfg);
Result<Caller> authenticate(const ServerConfig& cfg, const std::string& authorization);
bool has_any_role(const Caller& c, const std::vector<std::string>& roles);

}  // namespace toolgate
