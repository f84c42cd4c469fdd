#include "gateway/catalog/naming.h"

#include <openssl/sha.h>

namespace toolgate {

bool valid_tool_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxToolName) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

std::string sanitize_name(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    out += ok ? c : '_';
  }
  return out.empty() ? "_" : out;
}

std::string short_hash(std::string_view s, size_t hex_chars) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < SHA256_DIGEST_LENGTH && out.size() < hex_chars; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  out.resize(std::min(hex_chars, out.size()));
  return out;
}

std::string fit_name(const std::string& name) {
  if (name.size() <= kMaxToolName) return name;
  return name.substr(0, kMaxToolName - 9) + "_" + short_hash(name, 8);
}

bool glob_match(std::string_view p, std::string_view s) {
  // Iterative matcher with single-star backtracking: linear-ish, no recursion.
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++pi;
      ++si;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool glob_any(const nlohmann::json& patterns, std::string_view s) {
  if (!patterns.is_array()) return false;
  for (auto& p : patterns)
    if (p.is_string() && glob_match(p.get_ref<const std::string&>(), s)) return true;
  return false;
}

}  // namespace toolgate
