// Bounded JSON handling for untrusted bytes.
//
// nlohmann's parser recurses once per nesting level, so a body of 100,000
// '[' would overflow the stack. parse_bounded() scans the depth first, in a
// flat loop, and only then parses.
//
//   auto doc = parse_bounded(body, /*max_depth=*/64);
//   if (!doc) reply_error(rpc::kParseError, doc.error().message);
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"

namespace toolgate {

using json = nlohmann::json;

// Maximum nesting of arrays/objects in `text`, ignoring brackets inside
// strings. Stops early (returning limit + 1) once `limit` is exceeded.
size_t json_depth(std::string_view text, size_t limit);

// Parses `text` as one JSON value. Errors carry rpc::kParseError.
Result<json> parse_bounded(std::string_view text, size_t max_depth);

// Serializes without ever throwing on invalid UTF-8 (replaced by U+FFFD).
std::string dump_safe(const json& j);

// Returns `s` with invalid UTF-8 sequences replaced by U+FFFD.
std::string sanitize_utf8(std::string_view s);
// The offset of the first byte that does not start a valid UTF-8 sequence,
// or std::string_view::npos when all of `s` is valid.
size_t first_invalid_utf8(std::string_view s);

// Truncates to at most `max_bytes` without splitting a UTF-8 sequence.
std::string truncate_utf8(std::string_view s, size_t max_bytes);

}  // namespace toolgate
