// `$ref`s to other files ("common.yaml#/components/schemas/Error"), resolved
// relative to the referencing file and kept inside the root spec's
// directory: the referenced nodes are copied into the root document's
// component schemas and every reference is rewritten to point there.
//
//   bundle_external_refs(doc, "/specs/api.yaml", 3);   // throws ConfigError
#pragma once

#include <string>

#include "common/json_limits.h"

namespace toolgate::openapi {

// References that could not be bundled point into root[kBadRefs], a list
// of messages, so the operation using one is skipped with that message.
inline constexpr const char* kBadRefs = "x-toolgate-bad-refs";
// `local_file` false (a spec fetched from a URL): every file reference is refused.
void bundle_external_refs(json& root, const std::string& root_file, int major, bool local_file);

}  // namespace toolgate::openapi
