// The gateway's view of an upstream MCP server (a `type: mcp` source):
// besides its tools, which are ordinary catalog tools, it has resources,
// prompts and completions, which sessions forward to it, and it may call
// back into the calling client (sampling, elicitation, roots) during a
// request. adapters/mcp implements it.
//
//   ForwardContext ctx{&session, stream, progress_token, &cancel};
//   Result<json> r = upstream->forward("resources/read", {{"uri", uri}}, ctx);
#pragma once

#include <string>

#include "common/cancel.h"
#include "common/json_limits.h"
#include "common/result.h"

namespace toolgate {

class Session;
class ClientStream;

// Who a forwarded request is for: requests and notifications the upstream
// sends while it runs go to this session and stream.
struct ForwardContext {
  Session* session = nullptr;  // a 2025 client's session; null for a 2026 client
  ClientStream* stream = nullptr;
  json progress_token;  // the client's, or null
  const CancelToken* cancel = nullptr;
  // A 2026-07-28 client: it names its capabilities and log level in each
  // request, answers input_required itself, and may bring inputResponses
  // and a requestState for the upstream (`retry`: those two fields).
  bool stateless_client = false;
  std::string caller;        // who asks: a parked upstream call resumes only for them
  json client_capabilities;  // null: unknown (toolgate's own requests)
  std::string log_level;     // "" when the client asked for no log messages
  json retry = json::object();
};

class McpUpstream {
 public:
  virtual ~McpUpstream() = default;
  virtual const std::string& source() const = 0;
  // The upstream's `capabilities` from its initialize answer.
  virtual json capabilities() const = 0;
  // Forwards one request and returns its result (or the upstream's error).
  virtual Result<json> forward(const std::string& method, json params, ForwardContext& ctx) = 0;
  // Every item of a paginated list (`key`: "resources", "prompts", ...).
  virtual Result<json> list_all(const std::string& method, const std::string& key,
                                ForwardContext& ctx) = 0;
  // The session is gone: its subscriptions end.
  virtual void session_closed(Session& session) {}
};

}  // namespace toolgate
