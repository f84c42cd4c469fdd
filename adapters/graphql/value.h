// GraphQL value literals (spec section 2.9), parsed into JSON with tags
// where JSON has no equivalent, so they can be printed back exactly:
// {"$var": "name"}, {"$enum": "NAME"}, {"$num": "1.5e3"}. Strings,
// booleans, null, lists and objects are plain JSON (object keys are GraphQL
// names, which never start with '$').
//
//   json v = parse_value(lexer, /*is_const=*/true);
//   print_value(v)     // "{first: 10, order: {field: CREATED_AT}}"
//   value_to_json(v)   // {"first": 10, "order": {"field": "CREATED_AT"}}
#pragma once

#include <string>

#include "adapters/graphql/lexer.h"
#include "adapters/graphql/schema.h"
#include "common/json_limits.h"

namespace toolgate::graphql {

// Nesting deeper than this is a syntax error, so hostile input cannot
// exhaust the stack.
constexpr int kMaxNesting = 64;

json parse_value(Lexer& lx, bool is_const, int depth = 0);
// A type reference (Name, [Type], Type!), as in SDL and variable
// definitions. `name_at`, when given, gets the named type's token.
TypeRef parse_type_ref(Lexer& lx, Token* name_at = nullptr);
std::string print_value(const json& literal);
// The JSON form: enums become strings, numbers numbers, variables null.
json value_to_json(const json& literal);

}  // namespace toolgate::graphql
