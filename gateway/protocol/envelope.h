// The per-request envelope of MCP 2026-07-28: with no initialize and no
// session, every request carries in params._meta what a 2025 session kept:
// the protocol version, the client's capabilities and identity, and the log
// level it wants. A request that carries the version key "claims" the
// stateless era; one that doesn't is 2025-era traffic.
//
//   Envelope env = read_envelope(msg.params);
//   if (env.claimed && !env.problem.empty()) reply(kInvalidParams, env.problem);
//   if (env.claimed && !is_stateless_version(env.version)) reply(kUnsupportedProtocolVersion);
#pragma once

#include <string>

#include "common/json_limits.h"
#include "gateway/protocol/request_context.h"

namespace toolgate {

inline constexpr const char* kStatelessVersion = "2026-07-28";
inline constexpr const char* kMetaProtocolVersion = "io.modelcontextprotocol/protocolVersion";
inline constexpr const char* kMetaClientCapabilities = "io.modelcontextprotocol/clientCapabilities";
inline constexpr const char* kMetaClientInfo = "io.modelcontextprotocol/clientInfo";
inline constexpr const char* kMetaLogLevel = "io.modelcontextprotocol/logLevel";
inline constexpr const char* kMetaServerInfo = "io.modelcontextprotocol/serverInfo";

// Versions at or after 2026-07-28 belong to the stateless era (dates compare
// as strings); only 2026-07-28 itself is spoken.
bool is_modern_version(const std::string& v);
bool is_stateless_version(const std::string& v);
// Every version toolgate speaks, newest first: server/discover's
// supportedVersions and the data of an unsupported-version error.
json supported_versions();

struct Envelope {
  bool claimed = false;  // params._meta carries the protocol-version key
  std::string version;
  json client_capabilities = json::object();
  json client_info;                        // null when absent
  McpLevel log_level = McpLevel::warning;  // nothing below warning unless asked
  bool log_level_set = false;
  std::string problem;  // a claimed envelope that is malformed: which key, what is wrong
};

Envelope read_envelope(const json& params);

// The revision's errors for a request that claims the era: a malformed
// envelope (-32602, data.envelope), and a version toolgate does not speak
// (-32022, data.supported and data.requested).
json envelope_error(const json& id, const Envelope& env);
json unsupported_version_error(const json& id, const std::string& version);

}  // namespace toolgate
