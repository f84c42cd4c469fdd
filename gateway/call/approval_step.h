// Asking a human to approve one call (pipeline.cc): over MCP elicitation
// when the client declared it, otherwise as a pending approval resolved with
// `toolgate approvals` or /admin/approvals.
//
//   Verdict v = obtain_approval(approvals, request, {tool, shown, digest, ...}, tick, &by);
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

}  // namespace toolgate
