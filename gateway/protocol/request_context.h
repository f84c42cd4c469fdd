// One request, as everything below the protocol layer sees it: who asks, in
// which protocol era and version, with which client capabilities, its
// progress token, cancellation and deadline, the config generation it runs
// under, and the way back to the client. Built once, where the message is
// classified (Session for the 2025 eras), and passed down by reference: no
// layer below reads the raw message again or calls back into the session.
//
//   RequestContext rq = session.context_for(message, stream, cancel);
//   rq.progress(1, "started");                 // only when the client gave a token
//   auto answer = rq.ask_client("elicitation/create", params, 60000);
//   rq.log(McpLevel::info, {{"event", "call"}});
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/cancel.h"
#include "common/json_limits.h"
#include "common/result.h"
#include "gateway/catalog/upstream.h"
#include "gateway/config/snapshot.h"
#include "gateway/identity/caller.h"

namespace toolgate {

class ClientStream;
class Session;
struct Message;

// MCP log levels, in order (RFC 5424 names).
enum class McpLevel { debug, info, notice, warning, error, critical, alert, emergency };
bool parse_mcp_level(const std::string& s, McpLevel* out);
const char* to_string(McpLevel level);

// How the client speaks: the 2025 revisions keep state in a session opened
// by initialize; the 2026-07-28 revision carries it in every request.
enum class ProtocolEra { session_2025, stateless_2026 };

// The way back to one client: where a request's notifications and
// server-to-client requests go. A 2025 session implements it.
class ClientPeer {
 public:
  virtual ~ClientPeer() = default;
  // For audit records and logs: the session id ("" when there is none).
  virtual const std::string& peer_id() const = 0;
  // Sends on `stream` when it is open, else on the peer's default stream.
  virtual bool send(const json& msg, ClientStream* stream) = 0;
  // Sends a request to the client and waits for its answer, `cancel` or the timeout.
  virtual Result<json> request_client(const std::string& method, json params, uint64_t timeout_ms,
                                      ClientStream* stream, const CancelToken* cancel) = 0;
  // Whether a gateway log message at `level` reaches the client
  // (logging/setLevel), and likewise an upstream's.
  virtual bool wants_log(McpLevel level) const = 0;
  virtual bool wants_upstream_log(McpLevel level) const = 0;
  // The 2025 session itself, for upstreams that scope servers per session.
  virtual Session* session() { return nullptr; }
};

// request_client's error code when there is no stream to send the request on
// (an HTTP client without a GET stream, asked outside a streamed POST).
inline constexpr int kNoClientStream = -32010;

struct RequestContext {
  // What is asked.
  json id;
  std::string method;
  json params;          // always an object
  json progress_token;  // params._meta.progressToken when a string or integer, else null

  // Who asks, and how.
  Caller caller;
  ProtocolEra era = ProtocolEra::session_2025;
  std::string protocol_version;
  json client_capabilities = json::object();
  std::string log_level;  // 2026: the level the request asked for ("" for none)

  // Its lifetime: cancellation (notifications/cancelled, the session or the
  // stream ending) and a deadline past which nothing waits for the client.
  std::shared_ptr<CancelToken> cancel;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();

  // The config generation the request runs under, taken once when it starts.
  Snapshot snapshot;

  // The way back: the peer, and the stream this request's messages go to
  // (a POST's SSE stream; null for the peer's default stream).
  ClientPeer* peer = nullptr;
  ClientStream* stream = nullptr;

  // What `msg` asks (its params moved in), who asks and in which era; the
  // front that builds it fills in the rest.
  static RequestContext of(Message& msg, const Caller& caller, ProtocolEra era);

  bool cancelled() const { return cancel && cancel->cancelled(); }
  const std::string& session_id() const;
  bool client_supports(const std::string& capability) const;

  // A notification related to this request.
  void notify(const std::string& method, json params) const;
  // notifications/progress, when the client gave a token.
  void progress(uint64_t progress, const std::string& message) const;
  // notifications/message from the gateway, if the client's level lets it through.
  void log(McpLevel level, const json& data) const;
  // An upstream's notifications/message params, passed on by the same rule.
  void forward_log(const json& params) const;
  // A server-to-client request (elicitation, sampling, roots), bounded by
  // `timeout_ms`, the deadline and cancellation.
  Result<json> ask_client(const std::string& method, json params, uint64_t timeout_ms) const;

  // What an upstream MCP server needs to relay its own messages back.
  ForwardContext forward() const;
  // The same request for another tool call (call_tool's target): same
  // client, caller, snapshot and cancellation.
  RequestContext nested(json params) const;
};

}  // namespace toolgate
