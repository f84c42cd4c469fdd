// Small text helpers both binaries use.
//
//   if (ascii_lower(header_name) == "content-type") ...
#pragma once

#include <string>
#include <string_view>

namespace toolgate {

// ASCII letters lower-cased, every other byte as it is: for protocol
// tokens (header names, schemes, hosts), never for user text.
std::string ascii_lower(std::string_view s);

}  // namespace toolgate
