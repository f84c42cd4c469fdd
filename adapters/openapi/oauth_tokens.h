// OAuth2 tokens of OpenAPI sources, kept in the gateway between calls.
// Workers fetch tokens (their connections go through the egress broker);
// the gateway only caches what they bring back, and persists a rotated
// refresh token to the source's token_file atomically (write, fsync,
// rename; mode 0600).
//
//   auto st = tokens.current(key, config_refresh_token, token_file);
//   order.http["oauth"]["access_token"] = st.access_token;
//   tokens.update(key, answer["oauth"], token_file);     // after the call
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "toolgate/json_limits.h"

namespace toolgate::openapi {

struct OAuthState {
  std::string access_token;
  int64_t expires_at = 0;  // Unix seconds
  std::string refresh_token;
};

class TokenStore {
 public:
  // The cached state; the refresh token comes from token_file when it
  // exists, else from the config.
  OAuthState current(const std::string& key, const std::string& config_refresh,
                     const std::string& token_file);
  // Takes the tokens a worker obtained. Returns false (logged) when a
  // rotated refresh token could not be saved to token_file.
  bool update(const std::string& key, const json& fresh, const std::string& token_file);

 private:
  std::mutex mu_;
  std::map<std::string, OAuthState> state_;
};

}  // namespace toolgate::openapi
