// The HTTP headers of MCP 2026-07-28 that mirror the body, so that load
// balancers and gateways can route without parsing JSON: MCP-Protocol-
// Version, Mcp-Method, Mcp-Name (tools/call, prompts/get, resources/read,
// tasks/*),
// and Mcp-Param-{Name} for tool arguments whose schema marks them with
// x-mcp-header. A header that disagrees with the body is refused
// (HeaderMismatch, -32020, HTTP 400): something between the client and the
// gateway would otherwise route by one value and run another.
//
//   auto get = [&](const std::string& name) -> std::optional<std::string> { ... };
//   if (auto err = check_standard_headers(msg, get)) return reply(400, *err);
//   if (auto err = check_param_headers(msg, tool->input_schema, get)) return reply(400, *err);
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/json_limits.h"
#include "gateway/protocol/jsonrpc.h"

namespace toolgate {

inline constexpr const char* kMethodHeader = "Mcp-Method";
inline constexpr const char* kNameHeader = "Mcp-Name";
inline constexpr const char* kParamHeaderPrefix = "Mcp-Param-";

// A request header by name; nullopt when absent.
using HeaderLookup = std::function<std::optional<std::string>(const std::string&)>;

// A header value as sent: `=?base64?…?=` carries UTF-8 that isn't plain
// ASCII; anything else is literal. Nullopt for a sentinel whose payload is
// not canonical Base64 or not UTF-8.
std::optional<std::string> decode_header_value(const std::string& value);

// The body field Mcp-Name mirrors for `method` ("name", "uri", "taskId"), or "".
const char* name_header_source(const std::string& method);

// MCP-Protocol-Version against the envelope's version, Mcp-Method against
// the method, Mcp-Name against params.name/uri. The error reply, or nullopt.
std::optional<json> check_standard_headers(const Message& msg, const std::string& body_version,
                                           const HeaderLookup& header);
// Mcp-Param-* against tools/call's arguments, for each property of the
// tool's input schema marked x-mcp-header.
std::optional<json> check_param_headers(const Message& msg, const json& input_schema,
                                        const HeaderLookup& header);

}  // namespace toolgate
