// tools/call, end to end, as one ordered pipeline (pipeline.cc): look up,
// validate, policy, approval, audit begin, credential, prepare, run,
// render, audit end. Transports and sessions hand it a RequestContext; it
// answers with the JSON-RPC reply, or nothing when the call was cancelled
// (the client then gets no response, as MCP asks).
//
//   CallPipeline calls({pool, approvals, metrics, generations});
//   std::optional<json> reply = calls.run(request);
#pragma once

#include <optional>

#include "common/json_limits.h"
#include "gateway/protocol/request_context.h"

namespace toolgate {

class RequestStateSealer;
class ApprovalQueue;
class Generations;
class Metrics;
class WorkerPool;

// What the pipeline uses besides the request: each part named, so no step
// reaches for anything else.
struct CallServices {
  WorkerPool& pool;
  ApprovalQueue& approvals;
  Metrics& metrics;
  // For the one look at the live generation: a policy reloaded while a
  // call waited for approval, that now denies it, wins over the approval.
  const Generations& generations;
  // Seals the requestState of 2026-07-28 approval rounds.
  const RequestStateSealer& states;
};

class CallPipeline {
 public:
  explicit CallPipeline(CallServices services) : services_(services) {}
  std::optional<json> run(RequestContext& request) const;

 private:
  CallServices services_;
};

}  // namespace toolgate
