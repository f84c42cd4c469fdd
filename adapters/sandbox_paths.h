// What a command run under the sandbox may see of the host, from its
// config: the program or script it names first (made absolute in argv, and
// mounted read-only at the same path) and `sandbox.paths` (read-only unless
// writable; a writable one that does not exist is created for the sandbox
// identity). Shared by script tools and stdio MCP upstreams.
//
//   json mounts = command_mounts(ctx, tool_cfg, "/sources/0/tools/1", &argv, cwd, &tmp_mb);
#pragma once

#include <string>
#include <vector>

#include "gateway/catalog/adapter.h"

namespace toolgate {

// The gateway's working directory, against which relative paths resolve.
std::string working_dir();

// The command's environment, explicit: a default PATH, the names in
// `cfg.env_allow` copied from the gateway's environment at load time, and
// the values in `cfg.env`. Nothing else is inherited.
json command_env(const json& cfg);

// `cfg` holds `sandbox: {paths, tmp_mb}`; relative paths resolve against
// `base_dir`. Errors name `ptr` (ConfigError, file:line:col).
json command_mounts(const LoadContext& ctx, const json& cfg, const std::string& ptr,
                    std::vector<std::string>* argv, const std::string& base_dir, uint32_t* tmp_mb);

}  // namespace toolgate
