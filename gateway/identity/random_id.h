// Unguessable ids: session ids, call ids, approval ids.
//
//   std::string session = random_hex_id(16);   // 32 hex characters, 128 bits
//   std::string call = random_hex_id(8);       // 16 hex characters
#pragma once

#include <cstddef>
#include <string>

namespace toolgate {

// `bytes` random bytes from OpenSSL's CSPRNG, as lower-case hex. Throws
// std::runtime_error when the CSPRNG fails (never silently weak).
std::string random_hex_id(size_t bytes);

}  // namespace toolgate
