// Checks shared by both ways of reading a schema: the rules a schema must
// follow before tools can be built from it.
//
//   add_builtin_scalars(&s);
//   if (auto p = check_schema(s)) fail(p->type, p->message);
#pragma once

#include <optional>
#include <string>

#include "adapters/graphql/schema.h"

namespace toolgate::graphql {

struct SchemaProblem {
  std::string type;  // the type at fault; empty for the schema's roots
  std::string message;
};

// Int, Float, String, Boolean and ID, where the schema does not define them.
void add_builtin_scalars(Schema* s);

// Every referenced type exists and has the right kind: fields return output
// types, arguments and input fields take input types, unions hold objects,
// `implements` names interfaces, and the roots are object types.
std::optional<SchemaProblem> check_schema(const Schema& s);

}  // namespace toolgate::graphql
