// Base64 (RFC 4648): the standard alphabet for HTTP bodies and headers, the
// URL-safe one (unpadded) for opaque tokens handed to clients.
//
//   std::string t = base64_encode(bytes, Base64::url);
//   if (auto raw = base64_decode(header, Base64::standard)) use(*raw);
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace toolgate {

enum class Base64 {
  standard,          // A-Z a-z 0-9 + /, padded with '=' to a multiple of 4
  standard_lenient,  // the same, with the padding optional and stray low bits ignored
  url,               // A-Z a-z 0-9 - _, never padded
};

std::string base64_encode(std::string_view in, Base64 alphabet = Base64::standard);
// Nullopt on any character outside the alphabet, wrong padding, or
// leftover bits that are not zero: only the canonical form decodes, so one
// value has exactly one spelling.
std::optional<std::string> base64_decode(std::string_view in, Base64 alphabet = Base64::standard);

}  // namespace toolgate
