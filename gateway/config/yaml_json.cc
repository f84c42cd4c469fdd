#include "gateway/config/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace toolgate {
namespace {

constexpr int kMaxDepth = 64;

json scalar_to_json(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  // yaml-cpp tags quoted scalars "!" and plain ones "?".
  if (n.Tag() == "!") return s;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  // Integers: optional sign, digits only (no octal/hex surprises).
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i < s.size() && s.find_first_not_of("0123456789", i) == std::string::npos) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno == 0 && end && *end == '\0') return v;
  }
  if (s.find_first_not_of("0123456789+-.eE", 0) == std::string::npos &&
      s.find_first_of("0123456789") != std::string::npos) {
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (end && *end == '\0') return d;
  }
  return s;
}

// `budget` bounds the total number of nodes, so aliases that expand
// exponentially ("billion laughs") fail instead of exhausting memory.
void convert(const YAML::Node& n, const std::string& ptr, int depth, size_t* budget, YamlDoc* doc,
             json* out) {
  // yaml-cpp gives an empty document the null mark (-1, -1): record nothing
  // then, so where() falls back to file:1:1.
  if (!n.Mark().is_null()) doc->marks[ptr] = Mark{n.Mark().line + 1, n.Mark().column + 1};
  if (depth > kMaxDepth) doc->fail(ptr, "nested deeper than 64 levels");
  if ((*budget)-- == 0) doc->fail(ptr, "document has too many nodes (alias expansion?)");
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      *out = nullptr;
      return;
    case YAML::NodeType::Scalar:
      *out = scalar_to_json(n);
      return;
    case YAML::NodeType::Sequence: {
      *out = json::array();
      size_t i = 0;
      for (const auto& item : n) {
        json v;
        convert(item, ptr + "/" + std::to_string(i++), depth + 1, budget, doc, &v);
        out->push_back(std::move(v));
      }
      return;
    }
    case YAML::NodeType::Map: {
      *out = json::object();
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) {
          doc->marks[ptr + "/?"] = Mark{kv.first.Mark().line + 1, kv.first.Mark().column + 1};
          doc->fail(ptr + "/?", "mapping keys must be plain strings");
        }
        std::string key = kv.first.Scalar();
        std::string child = ptr + "/" + pointer_escape(key);
        if (out->contains(key)) {
          doc->marks[child] = Mark{kv.first.Mark().line + 1, kv.first.Mark().column + 1};
          doc->fail(child, "duplicate key '" + key + "'");
        }
        doc->key_marks[child] = Mark{kv.first.Mark().line + 1, kv.first.Mark().column + 1};
        json v;
        convert(kv.second, child, depth + 1, budget, doc, &v);
        (*out)[key] = std::move(v);
      }
      return;
    }
  }
}

}  // namespace

std::string pointer_escape(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string YamlDoc::where(const std::string& pointer) const {
  std::string p = pointer;
  for (;;) {
    auto it = marks.find(p);
    if (it != marks.end()) {
      return file + ":" + std::to_string(it->second.line) + ":" + std::to_string(it->second.col);
    }
    if (p.empty()) return file + ":1:1";
    auto slash = p.rfind('/');
    p = slash == std::string::npos ? "" : p.substr(0, slash);
  }
}

std::string YamlDoc::where_key(const std::string& pointer) const {
  auto it = key_marks.find(pointer);
  if (it == key_marks.end()) return where(pointer);
  return file + ":" + std::to_string(it->second.line) + ":" + std::to_string(it->second.col);
}

void YamlDoc::fail(const std::string& pointer, const std::string& message) const {
  throw ConfigError(where(pointer) + ": " + message);
}

namespace {

// "file:line:col: ..." for the first byte of `text` that is not UTF-8.
std::string bad_utf8_error(const std::string& text, size_t at, const std::string& file) {
  size_t line_start = text.rfind('\n', at == 0 ? 0 : at - 1);
  line_start = line_start == std::string::npos || at == 0 ? 0 : line_start + 1;
  size_t line = 1 + size_t(std::count(text.begin(), text.begin() + long(line_start), '\n'));
  return file + ":" + std::to_string(line) + ":" + std::to_string(at - line_start + 1) +
         ": the file is not valid UTF-8 here (byte offset " + std::to_string(at) + ")";
}

}  // namespace

YamlDoc parse_yaml(const std::string& raw, const std::string& file, size_t max_nodes,
                   BadUtf8 bad_utf8) {
  YamlDoc doc;
  doc.file = file;
  std::string replaced;
  if (size_t bad = first_invalid_utf8(raw); bad != std::string::npos) {
    if (bad_utf8 == BadUtf8::refuse) throw ConfigError(bad_utf8_error(raw, bad, file));
    replaced = sanitize_utf8(raw);
  }
  const std::string& text = replaced.empty() ? raw : replaced;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  try {
    size_t budget = max_nodes;
    convert(root, "", 0, &budget, &doc, &doc.value);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return doc;
}

YamlDoc load_yaml_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConfigError(path + ":1:1: cannot open file: " + std::strerror(errno));
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_yaml(ss.str(), path);
}

}  // namespace toolgate
