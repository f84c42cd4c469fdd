// YAML to JSON, remembering where every value came from, so that errors
// found later (schema validation, adapters) can say file:line:col.
//
//   auto doc = load_yaml_file("toolgate.yaml");     // throws ConfigError
//   doc.where("/sources/0/tools/1/command")          // "toolgate.yaml:12:18"
#pragma once

#include <map>
#include <stdexcept>
#include <string>

#include "common/json_limits.h"

namespace toolgate {

// A configuration problem, already formatted as "file:line:col: message".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Mark {
  int line = 0;  // 1-based
  int col = 0;   // 1-based
};

struct YamlDoc {
  std::string file;
  json value;
  std::map<std::string, Mark> marks;      // JSON pointer -> position of the value
  std::map<std::string, Mark> key_marks;  // JSON pointer -> position of its mapping key

  // "file:line:col" of the value at `pointer`, or of its nearest ancestor.
  std::string where(const std::string& pointer) const;
  // Like where(), but at the key naming the value (for "unknown key").
  std::string where_key(const std::string& pointer) const;
  [[noreturn]] void fail(const std::string& pointer, const std::string& message) const;
};

// Parses YAML text. Plain scalars get JSON types (null, bool, int, float,
// string); quoted scalars stay strings. Anchors/aliases are resolved;
// documents nested deeper than 64 levels are rejected.
// `max_nodes` bounds the values after alias expansion (default: far beyond
// any real config; large documents such as API specs pass their own).
// YAML is Unicode, and the schema checks behind this read strings as UTF-8:
// text that is not valid UTF-8 is refused at its first bad byte, or, for
// documents toolgate does not own (API specs), has it replaced by U+FFFD.
enum class BadUtf8 { refuse, replace };
YamlDoc parse_yaml(const std::string& text, const std::string& file, size_t max_nodes = 200'000,
                   BadUtf8 bad_utf8 = BadUtf8::refuse);
YamlDoc load_yaml_file(const std::string& path);

// Escapes a key for use in a JSON pointer (RFC 6901).
std::string pointer_escape(const std::string& key);

}  // namespace toolgate
