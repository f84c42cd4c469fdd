// JSON Schema validation of untrusted instances (tool arguments, tool output).
//
// valijson does the work, with two changes that matter for hostile input:
//  - `pattern` runs on RE2 (linear time, no recursion) instead of std::regex,
//    whose backtracking executor recurses per character and can overflow the
//    stack on a long string;
//  - `format` is treated as an annotation (as draft 2020-12 does by default),
//    because valijson checks it with std::regex as well.
//  `patternProperties` is not enforced (and neither is a sibling
//  `additionalProperties`, which would otherwise reject the matched names).
//
//   auto v = SchemaValidator::compile(tool.input_schema);
//   if (!v) return v.error();
//   for (auto& e : (*v)->validate(args)) ...   // {"/text", "expected string"}
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/json_limits.h"
#include "common/result.h"

namespace toolgate {

struct SchemaError {
  std::string pointer;  // JSON pointer of the offending value; "" is the root
  std::string message;
  std::string to_string() const { return (pointer.empty() ? "/" : pointer) + ": " + message; }
};

class SchemaValidator {
 public:
  // Compiles `schema`. Errors carry rpc::kInvalidParams and say what is wrong.
  static Result<std::shared_ptr<const SchemaValidator>> compile(const json& schema);

  // Returns the problems, most specific (deepest) first, at most 8.
  // Empty when `instance` conforms.
  std::vector<SchemaError> validate(const json& instance) const;

  ~SchemaValidator();
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace toolgate
