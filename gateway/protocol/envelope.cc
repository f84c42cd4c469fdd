#include "gateway/protocol/envelope.h"

#include "gateway/protocol/jsonrpc.h"

namespace toolgate {

bool is_modern_version(const std::string& v) { return v >= kStatelessVersion; }

bool is_stateless_version(const std::string& v) { return v == kStatelessVersion; }

json supported_versions() {
  return json::array({kStatelessVersion, "2025-11-25", "2025-06-18", "2025-03-26"});
}

Envelope read_envelope(const json& params) {
  Envelope env;
  auto meta = params.find("_meta");
  if (meta == params.end() || !meta->is_object()) return env;
  auto version = meta->find(kMetaProtocolVersion);
  if (version == meta->end()) return env;
  env.claimed = true;
  if (!version->is_string()) {
    env.problem = std::string(kMetaProtocolVersion) + ": expected a protocol version string";
    return env;
  }
  env.version = version->get<std::string>();
  auto caps = meta->find(kMetaClientCapabilities);
  if (caps == meta->end()) {
    env.problem = std::string(kMetaClientCapabilities) + ": missing";
    return env;
  }
  if (!caps->is_object()) {
    env.problem = std::string(kMetaClientCapabilities) + ": expected an object";
    return env;
  }
  env.client_capabilities = *caps;
  if (auto info = meta->find(kMetaClientInfo); info != meta->end()) {
    if (!info->is_object() || !info->contains("name") || !(*info)["name"].is_string()) {
      env.problem = std::string(kMetaClientInfo) + ": expected an object with a string name";
      return env;
    }
    env.client_info = *info;
  }
  if (auto level = meta->find(kMetaLogLevel); level != meta->end()) {
    if (!level->is_string() || !parse_mcp_level(*level, &env.log_level)) {
      env.problem = std::string(kMetaLogLevel) +
                    ": expected one of debug, info, notice, warning, error, critical, alert, "
                    "emergency";
      return env;
    }
    env.log_level_set = true;
  }
  return env;
}

json envelope_error(const json& id, const Envelope& env) {
  return make_error(id, rpc::kInvalidParams,
                    "Invalid _meta envelope for protocol revision 2026-07-28: " + env.problem,
                    {{"envelope", env.problem}});
}

json unsupported_version_error(const json& id, const std::string& version) {
  return make_error(id, rpc::kUnsupportedProtocolVersion,
                    "Unsupported protocol version: " + version,
                    {{"supported", supported_versions()}, {"requested", version}});
}

}  // namespace toolgate
