// The OpenAPI adapter's internal model: one shape for OpenAPI 3.0, 3.1 and
// Swagger 2.0 (converted on load), with every $ref outside schemas resolved
// and schemas rewritten to JSON Schema with `$defs`.
//
//   OpenApiSpec spec = load_openapi(path, warn);   // throws ConfigError
//   for (auto& op : spec.operations) ...
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/json_limits.h"

namespace toolgate::openapi {

struct Param {
  std::string name;  // as in the spec
  std::string in;    // path | query | header | cookie
  std::string arg;   // the tool argument carrying it (name, or in_name on a clash)
  bool required = false;
  std::string style;  // form, simple, spaceDelimited, pipeDelimited, deepObject
  bool explode = true;
  bool allow_reserved = false;
  json schema;  // JSON Schema (refs point into the tool's $defs)
  std::string description;
};

struct Operation {
  std::string method;  // upper case
  std::string path;    // template, e.g. /pets/{id}
  std::string operation_id;
  std::string summary, description;
  std::vector<std::string> tags;
  std::vector<Param> params;
  json body_schema;        // null without a request body
  std::string body_media;  // the media type chosen for the body
  bool body_required = false;
  json output_schema;   // object schema of the 2xx JSON response, or null
  json security;        // the operation's security requirement list, or null (use global)
  std::string pointer;  // JSON pointer of the operation in the spec
};

struct OpenApiSpec {
  int major = 3;                   // 2 for Swagger 2.0, 3 for OpenAPI 3.x
  std::string version;             // "2.0", "3.0.3", "3.1.0", ...
  std::string server_url;          // first server, variables filled with defaults
  json defs = json::object();      // component schemas, as JSON Schema (request form)
  json defs_out = json::object();  // the same in response form (writeOnly dropped)
  json security_schemes = json::object();
  json security = nullptr;  // the global security requirement list
  std::vector<Operation> operations;
};

using Warn = std::function<void(const std::string& where, const std::string& message)>;

// Loads a spec file (JSON or YAML). One bad operation is skipped with a
// warning unless `strict`; a broken document throws ConfigError naming the
// JSON pointer (and, for YAML, the line).
OpenApiSpec load_openapi(const std::string& path, bool strict, const Warn& warn);
// The same from text already in hand (a spec fetched from `name`, a URL);
// without `local_file`, references to other files are refused.
OpenApiSpec load_openapi_text(const std::string& text, const std::string& name, bool local_file,
                              bool strict, const Warn& warn);

// Converts an OpenAPI schema object to JSON Schema: $refs to component
// schemas become "#/$defs/NAME", `nullable` becomes a type list, OpenAPI-only
// keywords are dropped, and readOnly (request) or writeOnly (response)
// properties are removed.
json convert_schema(const json& s, bool request, int major);

}  // namespace toolgate::openapi
