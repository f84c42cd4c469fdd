#include "gateway/call/approval_step.h"

#include "common/log.h"
#include "gateway/audit/audit.h"
#include "gateway/catalog/catalog.h"

namespace toolgate {
namespace {

constexpr size_t kShownChars = 16000;

std::string approval_text(const Caller& caller, const ApprovalRequest& req) {
  // The human must see what they approve: only configured secret values are
  // hidden here (never whole arguments because of their names, which the
  // model chooses), and a cut is said out loud.
  std::string args = req.shown_args.dump(2, ' ', false, json::error_handler_t::replace);
  if (args.size() > kShownChars) {
    args = args.substr(0, kShownChars) + "\n... (" + std::to_string(args.size() - kShownChars) +
           " more characters NOT SHOWN: decline unless you have seen the whole call, e.g. with "
           "`toolgate approvals list --json`)";
  }
  std::string t =
      "toolgate: a policy rule asks you to approve this call.\n\nTool: " + req.tool.name +
      "\nCaller: " + caller.id + "\nArguments:\n" + args + "\n\nRule: " + req.decision.rule_id;
  if (!req.decision.message.empty()) t += " (" + req.decision.message + ")";
  t += "\nCall digest: " + req.digest + "\n\nAccept runs exactly this call; decline denies it.";
  return t;
}

// Empty optional: the client could not be asked at all (no stream to it).
std::optional<Verdict> by_elicitation(const RequestContext& rq, const ApprovalRequest& req,
                                      std::string* by) {
  json params = {{"message", approval_text(rq.caller, req)},
                 {"requestedSchema", {{"type", "object"}, {"properties", json::object()}}}};
  auto r = rq.ask_client("elicitation/create", params, req.timeout_ms);
  if (rq.cancelled()) return Verdict::cancelled;
  if (!r) {
    if (r.error().code == kNoClientStream) return std::nullopt;
    *by = "elicitation: " + r.error().message;
    return r.error().code == rpc::kRequestTimeout ? Verdict::timeout : Verdict::declined;
  }
  // The client's answer is untrusted: only an explicit "accept" approves.
  const json& ans = *r;
  bool accepted = ans.is_object() && ans.contains("action") && ans["action"] == "accept";
  *by = "elicitation:" + rq.caller.id;
  return accepted ? Verdict::approved : Verdict::declined;
}

}  // namespace

Verdict obtain_approval(ApprovalQueue& approvals, const RequestContext& rq,
                        const ApprovalRequest& req, const std::function<void(uint64_t)>& tick,
                        std::string* by) {
  if (rq.client_supports("elicitation")) {
    if (auto v = by_elicitation(rq, req, by)) return *v;
    log::warn(
        "the client declared elicitation but has no open stream to ask on; the call "
        "waits as a pending approval instead",
        {{"tool", req.tool.name}});
  }
  PendingApproval p;
  p.call_id = req.call_id;
  p.session = rq.session_id();
  p.caller = rq.caller.id;
  p.tool = req.tool.name;
  p.args = req.shown_args;
  p.digest = req.digest;
  p.rule_id = req.decision.rule_id;
  p.message = req.decision.message;
  p.created = utc_timestamp_ms();
  p.expires_in_ms = req.timeout_ms;
  auto entry = approvals.add(p);
  if (!entry) {
    *by = "refused: too many calls of this caller are waiting for approval";
    log::warn("approval refused: the caller already has the most calls waiting",
              {{"tool", req.tool.name}, {"caller", p.caller}});
    return Verdict::declined;
  }
  const std::string& id = p.id;
  // The operator is told how to decide; the model only learns that a human
  // must, so it has nothing to act on.
  log::warn(
      "call waits for human approval: toolgate approvals approve " + id + " -c " + req.config_path,
      {{"approval", id},
       {"tool", req.tool.name},
       {"caller", p.caller},
       {"rule", req.decision.rule_id},
       {"timeout_ms", req.timeout_ms}});
  rq.log(McpLevel::notice, {{"event", "approval_pending"},
                            {"tool", req.tool.name},
                            {"message", "waiting for a human to approve this call"}});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(req.timeout_ms);
  Verdict v = approvals.wait(entry, deadline, rq.cancel.get(), tick, by);
  if (by->empty()) *by = v == Verdict::timeout ? "timeout" : "";
  return v;
}

}  // namespace toolgate
