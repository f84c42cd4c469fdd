// Catalog names: what MCP clients (and the Anthropic API, which accepts only
// ^[A-Za-z0-9_-]{1,64}$) will see.
//
//   sanitize_name("get pet/{id}")      -> "get_pet__id_"
//   fit_name(<80-char name>)           -> first 55 chars + "_" + 8 hex of its SHA-256
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace toolgate {

inline constexpr size_t kMaxToolName = 64;

bool valid_tool_name(std::string_view s);
// Replaces every character outside [A-Za-z0-9_-] with '_'; empty -> "_".
std::string sanitize_name(std::string_view raw);
// Shortens a sanitized name to kMaxToolName deterministically.
std::string fit_name(const std::string& name);
// First `hex_chars` hex digits of SHA-256(s).
std::string short_hash(std::string_view s, size_t hex_chars);
// Shell-style glob with '*' and '?', used for names, hosts and origins.
bool glob_match(std::string_view pattern, std::string_view s);
// Whether any string in `patterns` (a JSON list, typically from config)
// glob-matches `s`; false for anything that is not a list.
bool glob_any(const nlohmann::json& patterns, std::string_view s);

}  // namespace toolgate
