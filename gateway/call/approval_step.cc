#include "gateway/call/approval_step.h"

#include "common/log.h"
#include "gateway/audit/audit.h"
#include "gateway/call/request_state.h"
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

json elicitation_params(const RequestContext& rq, const ApprovalRequest& req) {
  return {{"mode", "form"},
          {"message", approval_text(rq.caller, req)},
          {"requestedSchema", {{"type", "object"}, {"properties", json::object()}}}};
}

// Empty optional: the client could not be asked at all (no stream to it).
std::optional<Verdict> by_elicitation(const RequestContext& rq, const ApprovalRequest& req,
                                      std::string* by) {
  auto r = rq.ask_client("elicitation/create", elicitation_params(rq, req), req.timeout_ms);
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

// The queue entry for a call, as the CLI and admin endpoint show it.
PendingApproval pending_for(const RequestContext& rq, const ApprovalRequest& req) {
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
  return p;
}

// The operator is told how to decide; the model only learns that a human
// must, so it has nothing to act on.
void announce(const RequestContext& rq, const ApprovalRequest& req, const PendingApproval& p) {
  log::warn("call waits for human approval: toolgate approvals approve " + p.id + " -c " +
                req.config_path,
            {{"approval", p.id},
             {"tool", req.tool.name},
             {"caller", p.caller},
             {"rule", req.decision.rule_id},
             {"timeout_ms", req.timeout_ms}});
  rq.log(McpLevel::notice, {{"event", "approval_pending"},
                            {"tool", req.tool.name},
                            {"message", "waiting for a human to approve this call"}});
}

void refuse_full_queue(const ApprovalRequest& req, const std::string& caller, std::string* by) {
  *by = "refused: too many calls of this caller are waiting for approval";
  log::warn("approval refused: the caller already has the most calls waiting",
            {{"tool", req.tool.name}, {"caller", caller}});
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
  PendingApproval p = pending_for(rq, req);
  auto entry = approvals.add(p);
  if (!entry) {
    refuse_full_queue(req, p.caller, by);
    return Verdict::declined;
  }
  announce(rq, req, p);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(req.timeout_ms);
  Verdict v = approvals.wait(entry, deadline, rq.cancel.get(), tick, by);
  if (by->empty()) *by = v == Verdict::timeout ? "timeout" : "";
  return v;
}

namespace {

constexpr const char* kApprovalInput = "toolgate_approval";

ApprovalRound decided(Verdict v, std::string by) {
  ApprovalRound r;
  r.kind = ApprovalRound::Kind::decided;
  r.verdict = v;
  r.by = std::move(by);
  return r;
}

ApprovalRound refused(std::string why) {
  ApprovalRound r;
  r.kind = ApprovalRound::Kind::refused;
  r.error = std::move(why);
  return r;
}

// Round one (or a retry without a usable answer): park the call and ask.
ApprovalRound ask(ApprovalQueue& approvals, const RequestStateSealer& sealer,
                  const RequestContext& rq, const ApprovalRequest& req) {
  PendingApproval p = pending_for(rq, req);
  std::string by;
  if (!approvals.park(p)) {
    refuse_full_queue(req, p.caller, &by);
    return decided(Verdict::declined, by);
  }
  announce(rq, req, p);
  json claims = {{"kind", "approval"},
                 {"approval", p.id},
                 {"caller", rq.caller.id},
                 {"tool", req.tool.name},
                 {"digest", req.digest}};
  ApprovalRound r;
  r.kind = ApprovalRound::Kind::ask;
  r.result = {{"resultType", "input_required"},
              {"inputRequests",
               {{kApprovalInput,
                 {{"method", "elicitation/create"}, {"params", elicitation_params(rq, req)}}}}},
              {"requestState", sealer.seal(std::move(claims), req.timeout_ms)}};
  return r;
}

}  // namespace

ApprovalRound approval_round(ApprovalQueue& approvals, const RequestStateSealer& sealer,
                             const RequestContext& rq, const ApprovalRequest& req) {
  auto state = rq.params.find("requestState");
  if (state == rq.params.end() || state->is_null()) {
    if (!rq.client_supports("elicitation")) return ApprovalRound{};  // wait in the queue
    return ask(approvals, sealer, rq, req);
  }
  if (!state->is_string()) return refused("requestState must be a string");
  auto claims = sealer.open(state->get<std::string>());
  if (!claims) return refused(claims.error().message);
  const json& c = *claims;
  if (c.value("kind", "") != "approval" || c.value("caller", "") != rq.caller.id ||
      c.value("tool", "") != req.tool.name || c.value("digest", "") != req.digest) {
    return refused("requestState refused: it was issued for another caller, tool or arguments");
  }
  auto taken = approvals.take(c.value("approval", ""));
  if (!taken) return refused("requestState refused: it was used already, or its approval expired");
  if (taken->decided)
    return decided(taken->approved ? Verdict::approved : Verdict::declined, taken->by);
  // The client's answer is untrusted: only an explicit "accept" approves,
  // and an answer that is missing or malformed is asked for again.
  const json* answer = nullptr;
  if (auto in = rq.params.find("inputResponses"); in != rq.params.end() && in->is_object())
    if (auto a = in->find(kApprovalInput); a != in->end() && a->is_object()) answer = &*a;
  if (!answer || !answer->contains("action") || !(*answer)["action"].is_string())
    return ask(approvals, sealer, rq, req);
  bool accepted = (*answer)["action"] == "accept";
  return decided(accepted ? Verdict::approved : Verdict::declined, "elicitation:" + rq.caller.id);
}

}  // namespace toolgate
