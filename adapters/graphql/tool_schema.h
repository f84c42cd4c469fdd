// What a root field becomes as a tool: the JSON Schema of its arguments and
// the selection set asked for when the model gives none.
//
//   json input = arguments_schema(schema, field);      // {"type": "object", ...}
//   std::string sel = default_selection(schema, field.type, 2);   // "{ id name }"
#pragma once

#include <string>

#include "adapters/graphql/schema.h"

namespace toolgate::graphql {

// The arguments as a JSON Schema object: input objects as $defs (cycles
// become $refs), enums as `enum`, lists as arrays, non-null arguments without
// a default as `required`, built-in scalars mapped, custom scalars as
// strings carrying the scalar's description.
json arguments_schema(const Schema& schema, const FieldDef& field);

// The selection for a field of `type`, `depth` levels deep: leaf fields,
// nested objects while depth lasts, and for connection types their
// totalCount, pageInfo and nodes (or edges { node }) without using up a
// level. Fields that need arguments and deprecated fields are left out.
// "" when the type is a leaf.
std::string default_selection(const Schema& schema, const TypeRef& type, int depth);

}  // namespace toolgate::graphql
