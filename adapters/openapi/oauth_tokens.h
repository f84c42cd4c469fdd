// OAuth2 tokens of OpenAPI sources, kept in the gateway between calls.
// Workers fetch tokens (their connections go through the egress broker);
// the gateway only caches what they bring back, and persists a rotated
// refresh token to the source's token_file atomically (write, fsync,
// rename; mode 0600).
//
//   auto held = tokens.lock(key);                       // one fetch at a time
//   auto st = tokens.current(key, config_refresh_token, token_file);
//   tokens.update(key, token_answer["oauth"], token_file);   // saved at once
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/json_limits.h"

namespace toolgate::openapi {

struct OAuthState {
  std::string access_token;
  int64_t expires_at = 0;  // Unix seconds
  std::string refresh_token;
  bool refused = false;  // the API answered 401 to access_token
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
  void mark_refused(const std::string& key);
  // Held while a token is fetched for `key`: one token request at a time.
  std::unique_lock<std::mutex> lock(const std::string& key);

 private:
  std::mutex mu_;
  std::map<std::string, OAuthState> state_;
  std::map<std::string, std::unique_ptr<std::mutex>> fetching_;
};

}  // namespace toolgate::openapi
