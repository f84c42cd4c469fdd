#include "adapters/graphql/value.h"

#include <cstdlib>

namespace toolgate::graphql {

json parse_value(Lexer& lx, bool is_const, int depth) {
  if (depth > kMaxNesting) lx.fail("values nested too deeply");
  const Token& t = lx.peek();
  switch (t.kind) {
    case Tok::int_value:
    case Tok::float_value:
      return {{"$num", lx.next().text}};
    case Tok::string_value:
      return lx.next().text;
    case Tok::name: {
      Token n = lx.next();
      if (n.text == "true") return true;
      if (n.text == "false") return false;
      if (n.text == "null") return nullptr;
      return {{"$enum", std::move(n.text)}};
    }
    case Tok::punct:
      break;
    case Tok::eof:
      lx.fail("expected a value");
  }
  if (lx.is_punct("$")) {
    if (is_const) lx.fail("a variable is not allowed here");
    lx.next();
    return {{"$var", lx.expect_name()}};
  }
  if (lx.accept("[")) {
    json list = json::array();
    while (!lx.accept("]")) list.push_back(parse_value(lx, is_const, depth + 1));
    return list;
  }
  if (lx.accept("{")) {
    json obj = json::object();
    while (!lx.accept("}")) {
      Token at = lx.peek();
      std::string key = lx.expect_name();
      if (obj.contains(key)) lx.fail_at(at, "duplicate field '" + key + "' in an object value");
      lx.expect(":");
      obj[key] = parse_value(lx, is_const, depth + 1);
    }
    return obj;
  }
  lx.fail("expected a value");
}

TypeRef parse_type_ref(Lexer& lx, Token* name_at) {
  int lists = 0;
  while (lx.accept("[")) {
    if (++lists > kMaxNesting) lx.fail("type nested too deeply");
  }
  if (name_at) *name_at = lx.peek();
  TypeRef t;
  t.name = lx.expect_name();
  // Read inside out, then reverse: "[[A!]]!" is "!LL!" from the outside.
  std::string inner_out;
  if (lx.accept("!")) inner_out += '!';
  for (int i = 0; i < lists; ++i) {
    lx.expect("]");
    inner_out += 'L';
    if (lx.accept("!")) inner_out += '!';
  }
  t.wrappers.assign(inner_out.rbegin(), inner_out.rend());
  return t;
}

std::string print_value(const json& v) {
  if (v.is_string()) return quote(v.get<std::string>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_null()) return "null";
  if (v.is_number()) return v.dump();
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + print_value(v[i]);
    return out + "]";
  }
  if (v.size() == 1) {
    if (auto x = v.find("$var"); x != v.end()) return "$" + x->get<std::string>();
    if (auto x = v.find("$enum"); x != v.end()) return x->get<std::string>();
    if (auto x = v.find("$num"); x != v.end()) return x->get<std::string>();
  }
  std::string out = "{";
  bool first = true;
  for (auto& [k, x] : v.items()) {
    out += (first ? "" : ", ") + k + ": " + print_value(x);
    first = false;
  }
  return out + "}";
}

json value_to_json(const json& v) {
  if (v.is_array()) {
    json out = json::array();
    for (auto& x : v) out.push_back(value_to_json(x));
    return out;
  }
  if (!v.is_object()) return v;
  if (v.size() == 1) {
    if (v.contains("$var")) return nullptr;
    if (auto x = v.find("$enum"); x != v.end()) return *x;
    if (auto x = v.find("$num"); x != v.end()) {
      const std::string& s = x->get_ref<const std::string&>();
      if (s.find_first_of(".eE") == std::string::npos) {
        errno = 0;
        long long n = std::strtoll(s.c_str(), nullptr, 10);
        if (errno == 0) return n;
      }
      return std::strtod(s.c_str(), nullptr);
    }
  }
  json out = json::object();
  for (auto& [k, x] : v.items()) out[k] = value_to_json(x);
  return out;
}

}  // namespace toolgate::graphql
