// ${ENV_VAR} and ${file:path} references in config strings, for secrets.
//
//   token: "${GITHUB_TOKEN}"          -> value of the environment variable
//   token: "${file:/run/secrets/gh}"  -> file contents, one trailing newline removed
//   literal: "$${NOT_EXPANDED}"       -> "${NOT_EXPANDED}"
//
// Relative file paths resolve against the gateway's working directory.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gateway/config/yaml_json.h"

namespace toolgate {

using EnvLookup = std::function<const char*(const std::string&)>;

// Expands every string value of `doc` in place. Expanded values are appended
// to `secrets` so they can be redacted wherever they might surface.
// Throws ConfigError naming file:line:col and the reference (never its value).
void expand_references(YamlDoc& doc, std::vector<std::string>* secrets,
                       const EnvLookup& env = nullptr);

}  // namespace toolgate
