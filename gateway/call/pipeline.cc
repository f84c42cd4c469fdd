// The call pipeline. CallPipeline::run reads top to bottom: each step below
// has one job, takes the Call, and either lets the call go on (an empty
// StepResult) or ends it with its reply. Adapters are entered only in the
// steps named after their roles: facts and prepare/render (Translator),
// credential (CredentialHooks), forward (Proxy).
#include "gateway/call/pipeline.h"

#include <chrono>

#include "common/log.h"
#include "gateway/approvals/approvals.h"
#include "gateway/audit/audit.h"
#include "gateway/audit/metrics.h"
#include "gateway/call/approval_step.h"
#include "gateway/call/call_record.h"
#include "gateway/call/call_result.h"
#include "gateway/call/meta_tools.h"
#include "gateway/catalog/adapter.h"
#include "gateway/config/config.h"
#include "gateway/generations.h"
#include "gateway/protocol/jsonrpc.h"
#include "gateway/workers/sandboxed_run.h"
#include "gateway/workers/worker_pool.h"

namespace toolgate {
namespace {

constexpr const char* kAuditUnavailable =
    "The audit log cannot be written, so no call goes ahead without its record. The operator "
    "has been told.";

// One tools/call on its way through the pipeline.
struct Call {
  Call(RequestContext& r, const CallServices& s) : rq(r), services(s) {}

  RequestContext& rq;
  const CallServices& services;
  std::string name;
  json args = json::object();
  std::shared_ptr<const Tool> tool;
  Decision decision;
  std::optional<CallRecord> record;
  WorkerPool::Tick tick;  // progress while the call runs; null without a token
  uint64_t progress = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  WorkResult result;

  uint64_t elapsed_ms() const {
    return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count());
  }
  json log_fields() const {
    return {{"session", rq.session_id()},
            {"caller", rq.caller.id},
            {"tool", name},
            {"ms", elapsed_ms()}};
  }
};

// How a step ends the call: with a reply, or with none (cancelled).
struct Ending {
  std::optional<json> reply;
};
using StepResult = std::optional<Ending>;  // empty: on to the next step

Ending answer(const Call& c, json result) { return {make_result(c.rq.id, std::move(result))}; }
Ending fail(const Call& c, const std::string& text) { return answer(c, tool_error(text)); }
Ending no_answer() { return {std::nullopt}; }

// params.name and params.arguments, type-checked.
StepResult read_request(Call& c) {
  const json& params = c.rq.params;
  auto name_it = params.find("name");
  if (name_it == params.end() || !name_it->is_string())
    return Ending{make_error(c.rq.id, rpc::kInvalidParams, "params.name must be a string")};
  c.name = name_it->get<std::string>();
  if (auto a = params.find("arguments"); a != params.end() && !a->is_null()) {
    if (!a->is_object())
      return Ending{make_error(c.rq.id, rpc::kInvalidParams, "params.arguments must be an object")};
    c.args = *a;
  }
  return std::nullopt;
}

// The tool, from the request's own snapshot: it stays alive for the whole
// call even if a reload swaps in a new catalog meanwhile.
StepResult look_up(Call& c) {
  c.tool = c.rq.snapshot.catalog->find_shared(c.name);
  if (!c.tool) return Ending{make_error(c.rq.id, rpc::kInvalidParams, "unknown tool: " + c.name)};
  return std::nullopt;
}

StepResult validate(Call& c) {
  auto errors = c.tool->input_validator->validate(c.args);
  if (errors.empty()) return std::nullopt;
  std::string text = "Invalid arguments for " + c.name + ":";
  for (auto& e : errors)
    text += "\n- arguments" + (e.pointer.empty() ? "" : e.pointer) + ": " + e.message;
  return fail(c, text);
}

// The policy's decision, and the audit record that must exist before
// anything is dispatched.
StepResult decide(Call& c) {
  json facts = per_call_facts(*c.tool, c.args);
  c.decision = c.rq.snapshot.policy->decide({c.rq.caller, *c.tool, c.args, &facts});
  c.record.emplace(c.services.metrics, c.rq, *c.tool, c.args);
  if (!c.record->decided(c.decision)) return fail(c, kAuditUnavailable);
  if (c.decision.effect != Effect::deny) return std::nullopt;
  log::info("call denied",
            {{"tool", c.name}, {"caller", c.rq.caller.id}, {"rule", c.decision.rule_id}});
  c.record->closed(CallEnd::denied);
  return fail(c, c.decision.text());
}

// Progress while the call waits (for approval, a worker) and runs. Meta-
// tools send none of their own: the call they forward does, and one token's
// progress must only go up. Proxied tools neither: their upstream's
// progress is relayed as it is.
void start_progress(Call& c) {
  if (c.rq.progress_token.is_null() || !c.tool->meta.empty() || c.tool->proxy) return;
  c.rq.progress(c.progress, "started");
  c.tick = [&c](uint64_t elapsed_ms) {
    c.rq.progress(++c.progress, "running for " + std::to_string(elapsed_ms / 1000) + " s");
  };
}

// How the human's verdict is reached: in 2026-07-28 rounds of
// input_required when the client can be asked that way, else by waiting.
// Ends the call when this round only asks, or its retry is refused.
StepResult approval_in_rounds(Call& c, const ApprovalRequest& req, Verdict* v, std::string* by) {
  if (c.rq.era != ProtocolEra::stateless_2026) {
    *v = obtain_approval(c.services.approvals, c.rq, req, c.tick, by);
    return std::nullopt;
  }
  ApprovalRound round = approval_round(c.services.approvals, c.services.states, c.rq, req);
  switch (round.kind) {
    case ApprovalRound::Kind::ask:
      c.record->closed(CallEnd::input_required);
      return answer(c, std::move(round.result));
    case ApprovalRound::Kind::refused:
      c.record->closed(CallEnd::state_refused);
      return Ending{make_error(c.rq.id, rpc::kInvalidParams, round.error)};
    case ApprovalRound::Kind::decided:
      *v = round.verdict;
      *by = round.by;
      // The state and answers were the gateway's own: an upstream must not
      // take them for answers to questions of its own.
      c.rq.params.erase("requestState");
      c.rq.params.erase("inputResponses");
      return std::nullopt;
    case ApprovalRound::Kind::wait:
      break;
  }
  *v = obtain_approval(c.services.approvals, c.rq, req, c.tick, by);
  return std::nullopt;
}

StepResult approve(Call& c) {
  if (c.decision.effect != Effect::approve) return std::nullopt;
  const Config& cfg = *c.rq.snapshot.config;
  std::string by;
  json shown = redact_values(c.args, cfg.secrets);
  ApprovalRequest req{*c.tool,
                      shown,
                      args_digest({{"tool", c.name}, {"arguments", c.args}}),
                      c.record->call_id(),
                      c.decision,
                      cfg.approvals.timeout_ms,
                      cfg.path};
  Verdict v;
  if (auto end = approval_in_rounds(c, req, &v, &by)) return end;
  if (!c.record->approval(v, by, req.digest)) return fail(c, kAuditUnavailable);
  if (v == Verdict::cancelled) {
    c.record->closed(CallEnd::cancelled);
    return no_answer();
  }
  if (v != Verdict::approved) {
    c.record->closed(v == Verdict::timeout ? CallEnd::approval_timeout : CallEnd::declined);
    return fail(c, v == Verdict::timeout
                       ? "The call needed human approval (policy rule '" + c.decision.rule_id +
                             "') and none came within " +
                             std::to_string(cfg.approvals.timeout_ms / 1000) +
                             " s, so it was denied."
                       : "A human declined this call (policy rule '" + c.decision.rule_id + "').");
  }
  // The wait may have been long: a policy reloaded meanwhile that now
  // denies the call wins over the approval.
  auto now_policy = c.services.generations.current().policy;
  if (now_policy == c.rq.snapshot.policy) return std::nullopt;
  json facts = per_call_facts(*c.tool, c.args);
  Decision again = now_policy->peek({c.rq.caller, *c.tool, c.args, &facts});
  if (again.effect != Effect::deny) return std::nullopt;
  c.record->closed(CallEnd::denied_after_reload);
  return fail(c, again.text());
}

// search_tools and describe_tool are answered from the catalog; call_tool's
// target goes through the whole pipeline on its own, exactly as a direct call.
Ending run_meta_tool(Call& c, const CallPipeline& pipeline) {
  if (c.tool->meta != "call_tool") {
    json result = answer_discovery(c.rq.snapshot, c.rq.caller, *c.tool, c.args);
    c.record->ended(CallEnd::ok, nullptr, dump_safe(result).size(), result.value("isError", false));
    return answer(c, std::move(result));
  }
  auto target = call_tool_target(c.rq.snapshot, *c.tool, c.args);
  if (!target) {
    c.record->closed(CallEnd::unknown_target);
    return fail(c, target.error().message);
  }
  c.record->closed(CallEnd::forwarded);
  json inner = {{"name", *target}, {"arguments", c.args.value("arguments", json::object())}};
  if (!c.rq.progress_token.is_null()) inner["_meta"] = {{"progressToken", c.rq.progress_token}};
  RequestContext nested = c.rq.nested(std::move(inner));
  return {pipeline.run(nested)};
}

// A proxied tool (type: mcp): forwarded to its upstream server, whose
// answer is checked like a worker's.
Ending forward(Call& c) {
  ForwardContext fwd = c.rq.forward();
  json result = c.tool->proxy->call(*c.tool, c.args, fwd);
  if (result.is_null()) {
    c.record->ended(CallEnd::cancelled, nullptr, 0);
    log::info("call cancelled", c.log_fields());
    return no_answer();
  }
  if (auto e = result.find("error"); e != result.end() && e->is_object()) {
    c.record->ended(CallEnd::upstream_refused, nullptr, 0);
    // The upstream wrote it: configured secrets are hidden as in results.
    json shown = redact_values(*e, c.rq.snapshot.config->secrets);
    Error refused = error_of(shown, "the upstream refused the call");
    return Ending{make_error(c.rq.id, refused.code, refused.message, shown.value("data", json()))};
  }
  result = finish_result(*c.tool, std::move(result), c.rq.snapshot.config->secrets);
  bool is_error = result.value("isError", false);
  bool asks = result.value("resultType", "") == "input_required";
  c.record->ended(asks       ? CallEnd::input_required
                  : is_error ? CallEnd::tool_error
                             : CallEnd::ok,
                  nullptr, dump_safe(result).size(), is_error);
  json fields = c.log_fields();
  fields["outcome"] = is_error ? "tool_error" : "ok";
  log::info("call finished", fields);
  return answer(c, std::move(result));
}

// Whatever the tool's credential needs first (an OAuth token), fetched in a
// worker too. `renew`: the last attempt's credential was refused.
StepResult obtain_credential(Call& c, bool renew) {
  const CredentialHooks* hooks = c.tool->credentials;
  if (!hooks) return std::nullopt;
  Runner runner = [&c](WorkOrder o) {
    return run_sandboxed(c.services.pool, *c.rq.snapshot.sandbox, std::move(o), c.rq.cancel.get(),
                         nullptr, false);
  };
  std::string refused = hooks->obtain(*c.tool, renew, runner);
  if (c.rq.cancelled()) {
    c.record->ended(CallEnd::cancelled, nullptr, 0);
    return no_answer();
  }
  if (refused.empty()) return std::nullopt;
  c.record->ended(CallEnd::credential_failed, nullptr, 0);
  return fail(c, refused);
}

// The adapter's work order, run in a worker under this generation's sandbox.
StepResult prepare_and_run(Call& c) {
  auto order = c.tool->translator->prepare(*c.tool, c.args);
  if (!order) {
    c.record->ended(CallEnd::prepare_failed, nullptr, 0);
    return fail(c, order.error().message);
  }
  c.result = run_sandboxed(c.services.pool, *c.rq.snapshot.sandbox, std::move(*order),
                           c.rq.cancel.get(), c.tick, true);
  c.services.metrics.worker_end(c.result.reason);
  return std::nullopt;
}

// Credential, prepare and run; a refused credential is renewed once and the
// call tried once more.
StepResult run_in_worker(Call& c) {
  c.rq.log(McpLevel::debug, {{"event", "call"}, {"tool", c.name}});
  for (int attempt = 0;; ++attempt) {
    if (auto end = obtain_credential(c, attempt > 0)) return end;
    if (auto end = prepare_and_run(c)) return end;
    bool refused = attempt == 0 && c.result.outcome == Outcome::ok && c.tool->credentials &&
                   c.tool->credentials->refused(*c.tool, c.result);
    if (!refused) return std::nullopt;
  }
}

// The worker's result as a CallToolResult, checked and redacted, with the
// audit end record.
Ending render(Call& c) {
  const WorkResult& r = c.result;
  json fields = c.log_fields();
  fields["outcome"] = to_string(r.outcome);
  if (r.outcome == Outcome::cancelled) {
    c.record->ended(CallEnd::cancelled, &r, 0);
    log::info("call cancelled", fields);
    return no_answer();
  }
  json result = r.outcome == Outcome::ok || r.outcome == Outcome::tool_error
                    ? c.tool->translator->render(*c.tool, r)
                    : tool_error(outcome_text(r, c.tool->limits));
  result = finish_result(*c.tool, std::move(result), c.rq.snapshot.config->secrets);
  c.record->ended(call_end_of(r.outcome), &r, dump_safe(result).size(),
                  result.value("isError", false));
  bool ok = r.outcome == Outcome::ok;
  log::write(ok ? log::Level::info : log::Level::warning, "call finished", fields);
  c.rq.log(ok ? McpLevel::info : McpLevel::warning, {{"event", "call_finished"},
                                                     {"tool", c.name},
                                                     {"outcome", to_string(r.outcome)},
                                                     {"ms", fields["ms"]}});
  return answer(c, std::move(result));
}

}  // namespace

std::optional<json> CallPipeline::run(RequestContext& rq) const {
  Call c(rq, services_);
  if (auto end = read_request(c)) return end->reply;
  if (auto end = look_up(c)) return end->reply;
  if (auto end = validate(c)) return end->reply;
  if (auto end = decide(c)) return end->reply;
  start_progress(c);
  if (auto end = approve(c)) return end->reply;
  if (!c.tool->meta.empty()) return run_meta_tool(c, *this).reply;
  if (c.tool->proxy) return forward(c).reply;
  if (auto end = run_in_worker(c)) return end->reply;
  return render(c).reply;
}

}  // namespace toolgate
