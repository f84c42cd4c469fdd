#include "common/base64.h"

#include <cstdint>

namespace toolgate {
namespace {

const char* alphabet_of(Base64 a) {
  return a == Base64::url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                          : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

int value_of(char c, Base64 a) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (a == Base64::url) return c == '-' ? 62 : c == '_' ? 63 : -1;
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

}  // namespace

std::string base64_encode(std::string_view in, Base64 alphabet) {
  const char* k = alphabet_of(alphabet);
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  size_t rest = in.size() - i;
  if (rest == 0) return out;
  uint32_t v = uint8_t(in[i]) << 16;
  if (rest == 2) v |= uint8_t(in[i + 1]) << 8;
  out += {k[v >> 18], k[(v >> 12) & 63]};
  if (rest == 2) out += k[(v >> 6) & 63];
  if (alphabet != Base64::url) out.append(3 - rest, '=');
  return out;
}

std::optional<std::string> base64_decode(std::string_view in, Base64 alphabet) {
  size_t pad = 0;
  while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
  if (pad && alphabet == Base64::url) return std::nullopt;
  std::string_view data = in.substr(0, in.size() - pad);
  if (alphabet == Base64::standard && in.size() % 4 != 0) return std::nullopt;
  if (pad && in.size() % 4 != 0) return std::nullopt;
  if (data.size() % 4 == 1) return std::nullopt;  // 6 bits make no byte
  std::string out;
  out.reserve(data.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : data) {
    int v = value_of(c, alphabet);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero in the canonical form; lenient input may
  // come from encoders that leave them set.
  bool canonical = !bits || (acc & ((1u << bits) - 1)) == 0;
  if (!canonical && alphabet != Base64::standard_lenient) return std::nullopt;
  return out;
}

}  // namespace toolgate
