#include "gateway/call/request_state.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <chrono>
#include <stdexcept>

#include "common/base64.h"

namespace toolgate {
namespace {

constexpr size_t kMaxStateBytes = 8192;

uint64_t unix_ms() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

Error refused(const std::string& why) {
  return Error{rpc::kInvalidParams, "requestState refused: " + why};
}

}  // namespace

RequestStateSealer::RequestStateSealer() : key_(32, '\0') {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key_.data()), int(key_.size())) != 1)
    throw std::runtime_error("no randomness for the request-state key");
}

std::string RequestStateSealer::mac(const std::string& payload) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key_.data(), int(key_.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), out, &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string RequestStateSealer::seal(json claims, uint64_t ttl_ms) const {
  claims["exp"] = unix_ms() + ttl_ms;
  std::string payload = base64_encode(claims.dump(), Base64::url);
  return payload + "." + base64_encode(mac(payload), Base64::url);
}

Result<json> RequestStateSealer::open(const std::string& state) const {
  if (state.size() > kMaxStateBytes) return refused("too long");
  auto dot = state.find('.');
  if (dot == std::string::npos) return refused("not a state this gateway issued");
  std::string payload = state.substr(0, dot);
  auto tag = base64_decode(std::string_view(state).substr(dot + 1), Base64::url);
  std::string want = mac(payload);
  if (!tag || tag->size() != want.size() || CRYPTO_memcmp(tag->data(), want.data(), want.size()))
    return refused("it was altered, or not issued by this gateway");
  auto text = base64_decode(payload, Base64::url);
  if (!text) return refused("malformed");
  json claims = json::parse(*text, nullptr, false);
  if (!claims.is_object() || !claims.contains("exp") || !claims["exp"].is_number_unsigned())
    return refused("malformed");
  if (claims["exp"].get<uint64_t>() <= unix_ms()) return refused("it has expired");
  return claims;
}

}  // namespace toolgate
