// Asking a human to approve one call (pipeline.cc): over MCP elicitation
// when the client declared it, otherwise as a pending approval resolved with
// `toolgate approvals` or /admin/approvals. In MCP 2026-07-28 the question
// is an input_required result, and the answer comes with the call sent
// again (approval_round).
//
//   Verdict v = obtain_approval(approvals, request, {tool, shown, digest, ...}, tick, &by);
//   ApprovalRound r = approval_round(approvals, sealer, request, {tool, shown, digest, ...});
#pragma once

#include <functional>
#include <string>

#include "gateway/approvals/approvals.h"
#include "gateway/policy/policy.h"
#include "gateway/protocol/request_context.h"

namespace toolgate {

struct Tool;

struct ApprovalRequest {
  const Tool& tool;
  const json& shown_args;  // configured secrets hidden, nothing else
  std::string digest;      // binds the approval to the tool and its exact arguments
  std::string call_id;
  const Decision& decision;
  uint64_t timeout_ms;
  std::string config_path;  // for the operator's hint in the log
};

// Blocks until the human decides, the timeout, or the request is cancelled.
// `*by` says who decided (for the audit log).
Verdict obtain_approval(ApprovalQueue& approvals, const RequestContext& rq,
                        const ApprovalRequest& req, const std::function<void(uint64_t)>& tick,
                        std::string* by);

// One round of a 2026-07-28 approval. The first round parks the call in
// the approvals queue (so an operator sees it and may decide it) and asks
// the client with an elicitation input request; the retry brings the
// answer and the sealed requestState, which binds it to this caller, tool,
// arguments digest and parked approval, once.
struct ApprovalRound {
  enum class Kind {
    ask,      // send `result` (input_required) back to the client
    decided,  // `verdict` and `by` say how it ended
    wait,     // the client cannot be asked: wait in the queue (obtain_approval)
    refused,  // the retry's state is not valid for this call: `error`
  };
  Kind kind = Kind::wait;
  json result;
  Verdict verdict = Verdict::declined;
  std::string by;
  std::string error;
};
class RequestStateSealer;
ApprovalRound approval_round(ApprovalQueue& approvals, const RequestStateSealer& sealer,
                             const RequestContext& rq, const ApprovalRequest& req);

}  // namespace toolgate
