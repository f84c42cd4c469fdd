// A GraphQL schema as the adapter needs it: types with their fields,
// arguments, input fields, enum values and members, and the root types.
// It comes from SDL (parse_sdl) or from an introspection result
// (from_introspection); both give the same model, so both give the same
// tools.
//
//   Schema s = parse_sdl(text, "github.graphql");   // throws ConfigError file:line:col
//   const TypeDef* q = s.find(s.query_type);
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_limits.h"

namespace toolgate::graphql {

// A type reference such as [String!]!: the named type and its wrappers from
// the outside in ('!' non-null, 'L' list): "[String!]!" is {"String", "!L!"}.
struct TypeRef {
  std::string name;
  std::string wrappers;

  bool non_null() const { return !wrappers.empty() && wrappers[0] == '!'; }
  std::string str() const;  // "[String!]!"
  bool operator==(const TypeRef&) const = default;
};

struct InputValue {
  std::string name, description;
  TypeRef type;
  json default_value;  // JSON form of the default; null when there is none
  bool has_default = false;
  bool operator==(const InputValue&) const = default;
};

struct FieldDef {
  std::string name, description;
  std::vector<InputValue> args;
  TypeRef type;
  bool deprecated = false;
  std::string deprecation;
  bool operator==(const FieldDef&) const = default;
};

enum class Kind { scalar, object, interface, union_, enumeration, input_object };
const char* to_string(Kind k);

struct TypeDef {
  Kind kind = Kind::scalar;
  std::string name, description;
  std::vector<FieldDef> fields;          // object, interface
  std::vector<InputValue> input_fields;  // input_object
  std::vector<std::string> enum_values;  // enumeration
  std::vector<std::string> members;      // union
  std::vector<std::string> interfaces;   // object, interface

  const FieldDef* field(std::string_view name) const;
  bool composite() const {
    return kind == Kind::object || kind == Kind::interface || kind == Kind::union_;
  }
};

struct Schema {
  std::map<std::string, TypeDef, std::less<>> types;
  std::string query_type, mutation_type, subscription_type;

  const TypeDef* find(std::string_view name) const;
};

// Parses SDL. `file` names the source in errors, which read
// "file:line:col: message". Throws ConfigError. Tolerated oddities (a field
// defined twice, identically) are appended to `warnings`.
Schema parse_sdl(std::string_view text, const std::string& file,
                 std::vector<std::string>* warnings = nullptr);

// Reads an introspection result: {"data": {"__schema": ...}} or
// {"__schema": ...}. Throws ConfigError naming `file` and the JSON path.
Schema from_introspection(const json& doc, const std::string& file);

// The introspection query sent to a live endpoint.
extern const char* const kIntrospectionQuery;

}  // namespace toolgate::graphql
