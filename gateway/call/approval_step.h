// Asking a human to approve one call (tools_call.cc): over MCP elicitation
// when the client declared it, otherwise as a pending approval resolved with
// `toolgate approvals` or /admin/approvals. Internal to the gateway core.
#pragma once

#include <functional>
#include <string>

#include "gateway/gateway.h"

namespace toolgate {

struct ApprovalRequest {
  const Tool& tool;
  const json& shown_args;  // configured secrets hidden, nothing else
  std::string digest;      // binds the approval to the tool and its exact arguments
  std::string call_id;
  const Decision& decision;
  uint64_t timeout_ms;
  std::string config_path;  // for the operator's hint in the log
};

// Blocks until the human decides, the timeout, or `cancel`. `*by` says who
// decided (for the audit log).
Verdict obtain_approval(Server& server, Session& session, const ApprovalRequest& req,
                        Outbound* stream, const CancelToken& cancel,
                        const std::function<void(uint64_t)>& tick, std::string* by);

}  // namespace toolgate
