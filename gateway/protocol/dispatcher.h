// Routes one request to what answers it, in whichever protocol era it came:
// the session (2025) or a stateless front (2026-07-28) builds the
// RequestContext, and the dispatcher never looks at how. It answers
// tools/list itself, hands tools/call to the call pipeline, and the features
// of upstream MCP servers (resources, prompts, completions) to federation.
//
//   Dispatcher d(generations, pipeline);
//   RequestContext rq = ...;            // rq.method, rq.params, rq.snapshot, ...
//   std::optional<json> reply = d.handle(rq);
#pragma once

#include <optional>
#include <string>

#include "common/json_limits.h"
#include "gateway/config/snapshot.h"
#include "gateway/protocol/request_context.h"

namespace toolgate {

class CallPipeline;
class Generations;
class Session;

class Dispatcher {
 public:
  Dispatcher(const Generations& generations, const CallPipeline& calls)
      : generations_(generations), calls_(calls) {}

  // The config generation a new request runs under.
  Snapshot snapshot() const;
  // What the gateway offers: tools and logging, and what upstream MCP
  // servers offer besides tools.
  json server_capabilities() const;
  static json server_info();
  static const char* instructions();

  // Requests that may run long: they can be cancelled, and get a thread
  // of their own where the transport reads requests in order (stdio).
  static bool cancellable(const std::string& method);
  // Requests whose handling may talk to the client before answering
  // (progress, approval over elicitation, an upstream's sampling or roots).
  static bool may_talk_back(const std::string& method);

  // The reply; nothing when the request was cancelled.
  std::optional<json> handle(RequestContext& rq) const;
  // A session ended: upstreams drop what they kept for it.
  void session_closed(Session& session) const;

 private:
  const Generations& generations_;
  const CallPipeline& calls_;
};

}  // namespace toolgate
