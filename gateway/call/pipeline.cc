// tools/call, end to end: catalog lookup, argument validation, policy,
// adapter.prepare, worker, adapter.render, output checks.
#include <string.h>

#include <chrono>

#include "common/log.h"
#include "gateway/call/approval_step.h"
#include "gateway/call/call_record.h"
#include "gateway/call/meta_tools.h"
#include "gateway/catalog/adapter.h"
#include "gateway/gateway.h"
#include "gateway/protocol/jsonrpc.h"

namespace toolgate {
namespace {

constexpr const char* kAuditUnavailable =
    "The audit log cannot be written, so no call goes ahead without its record. The operator "
    "has been told.";

json tool_error(const std::string& text) {
  return {{"content", {{{"type", "text"}, {"text", text}}}}, {"isError", true}};
}

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// Words for the outcomes that the adapter does not render.
std::string outcome_text(const WorkResult& r, const Limits& l) {
  switch (r.outcome) {
    case Outcome::timeout:
      return "The tool timed out after " + std::to_string(l.timeout_ms) + " ms and was stopped.";
    case Outcome::signaled:
      return "The tool crashed (" + signal_name(r.signal) + ").";
    case Outcome::over_memory:
      return "The tool exceeded its memory limit of " + std::to_string(l.memory_mb) +
             " MB and was stopped.";
    case Outcome::over_output:
      return "The tool's output exceeded the limit of " + std::to_string(l.max_output_bytes) +
             " bytes; it was stopped and its output discarded.";
    case Outcome::protocol_error:
      return "The tool's worker failed: " + r.detail + ".";
    case Outcome::spawn_failure: {
      std::string t = "The tool could not be started";
      if (!r.detail.empty()) t += ": " + r.detail;
      if (!r.stderr_tail.empty()) t += ": " + r.stderr_tail;
      return t;
    }
    case Outcome::cancelled:
      return "The call was cancelled.";
    case Outcome::ok:
    case Outcome::tool_error:
      break;
  }
  return "The tool failed.";
}

// Enforces outputSchema and the result size cap on what the adapter built.
json check_result(const Tool& tool, json result) {
  bool is_error = result.value("isError", false);
  if (tool.output_validator && !is_error) {
    auto sc = result.find("structuredContent");
    if (sc == result.end()) {
      return tool_error("The tool declares an outputSchema but returned no structured content.");
    }
    auto errors = tool.output_validator->validate(*sc);
    if (!errors.empty()) {
      // The call happened: keep what it returned, so the model does not
      // take a completed write for a failure and repeat it.
      json out = tool_error("The tool's output does not match its outputSchema (" +
                            errors[0].to_string() + "); the output follows.");
      if (auto c = result.find("content"); c != result.end() && c->is_array())
        for (auto& block : *c) out["content"].push_back(block);
      return out;
    }
  }
  size_t cap = tool.limits.max_output_bytes * 2 + 65536;
  if (dump_safe(result).size() > cap) {
    return tool_error("The tool's result is larger than " + std::to_string(cap) + " bytes.");
  }
  return result;
}

// A call of a proxied tool (type: mcp): decided, approved and audited like
// any other, then forwarded to its upstream server, whose answer is checked
// like a worker's.
std::optional<json> forward_call(Session& session, const Snapshot& snap, const Tool& tool,
                                 const json& id, const json& args, const json& progress_token,
                                 Outbound* stream, const CancelToken& cancel, CallRecord& rec,
                                 std::chrono::steady_clock::time_point started) {
  ForwardContext ctx{&session, stream, progress_token, &cancel};
  json result = tool.adapter->call(tool, args, ctx);
  uint64_t ms = uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count());
  json fields = {
      {"session", session.id()}, {"caller", session.caller().id}, {"tool", tool.name}, {"ms", ms}};
  if (result.is_null()) {
    rec.ended("cancelled", nullptr, 0);
    log::info("call cancelled", fields);
    return std::nullopt;
  }
  result = check_result(tool, result);
  if (!snap.config->secrets.empty()) result = redact_values(result, snap.config->secrets);
  bool is_error = result.value("isError", false);
  rec.ended(is_error ? "tool_error" : "ok", nullptr, dump_safe(result).size(), is_error);
  fields["outcome"] = is_error ? "tool_error" : "ok";
  log::info("call finished", fields);
  return make_result(id, std::move(result));
}

}  // namespace

std::optional<json> handle_tools_call(Server& server, Session& session, const json& id,
                                      const json& params, Outbound* stream,
                                      const CancelToken& cancel) {
  auto name_it = params.find("name");
  if (name_it == params.end() || !name_it->is_string()) {
    return make_error(id, rpc::kInvalidParams, "params.name must be a string");
  }
  const std::string& name = name_it->get_ref<const std::string&>();
  json args = json::object();
  if (auto a = params.find("arguments"); a != params.end() && !a->is_null()) {
    if (!a->is_object())
      return make_error(id, rpc::kInvalidParams, "params.arguments must be an object");
    args = *a;
  }
  json progress_token;
  if (auto m = params.find("_meta"); m != params.end() && m->is_object()) {
    auto t = m->find("progressToken");
    if (t != m->end() && (t->is_string() || t->is_number_integer())) progress_token = *t;
  }

  // The snapshot (config, catalog, policy, audit log, and the Tool) stays
  // alive for the whole call even if a reload swaps in a new one meanwhile.
  Snapshot snap = server.snapshot();
  std::shared_ptr<const Tool> tool = snap.catalog->find_shared(name);
  if (!tool) return make_error(id, rpc::kInvalidParams, "unknown tool: " + name);

  auto errors = tool->input_validator->validate(args);
  if (!errors.empty()) {
    std::string text = "Invalid arguments for " + name + ":";
    for (auto& e : errors)
      text += "\n- arguments" + (e.pointer.empty() ? "" : e.pointer) + ": " + e.message;
    return make_result(id, tool_error(text));
  }

  const Caller& caller = session.caller();
  CallRecord rec(server, snap, session, *tool, args);
  Decision decision = snap.policy->decide({caller, *tool, args});
  if (!rec.decided(decision)) {
    return make_result(id, tool_error(kAuditUnavailable));
  }
  if (decision.effect == Effect::deny) {
    log::info("call denied", {{"tool", name}, {"caller", caller.id}, {"rule", decision.rule_id}});
    rec.closed("denied");
    return make_result(id, tool_error(decision.text()));
  }

  auto started = std::chrono::steady_clock::now();
  uint64_t progress = 0;
  WorkerPool::Tick tick = nullptr;
  // Meta-tools send no progress of their own: the call they forward does,
  // and one token's progress must only go up. Proxied tools neither: their
  // upstream's progress is relayed as it is.
  const bool proxied = tool->adapter && tool->adapter->proxies();
  if (!progress_token.is_null() && tool->meta.empty() && !proxied) {
    session.notify(
        "notifications/progress",
        {{"progressToken", progress_token}, {"progress", progress}, {"message", "started"}},
        stream);
    tick = [&](uint64_t elapsed_ms) {
      session.notify("notifications/progress",
                     {{"progressToken", progress_token},
                      {"progress", ++progress},
                      {"message", "running for " + std::to_string(elapsed_ms / 1000) + " s"}},
                     stream);
    };
  }

  if (decision.effect == Effect::approve) {
    std::string by;
    json shown = redact_values(args, snap.config->secrets);
    ApprovalRequest req{*tool,
                        shown,
                        args_digest({{"tool", name}, {"arguments", args}}),
                        rec.call_id(),
                        decision,
                        snap.config->approvals.timeout_ms,
                        snap.config->path};
    Verdict v = obtain_approval(server, session, req, stream, cancel, tick, &by);
    if (!rec.approval(v, by, req.digest)) {
      return make_result(id, tool_error(kAuditUnavailable));
    }
    if (v == Verdict::cancelled) {
      rec.closed("cancelled");
      return std::nullopt;
    }
    if (v != Verdict::approved) {
      rec.closed(v == Verdict::timeout ? "approval_timeout" : "declined");
      std::string text =
          v == Verdict::timeout
              ? "The call needed human approval (policy rule '" + decision.rule_id +
                    "') and none came within " +
                    std::to_string(snap.config->approvals.timeout_ms / 1000) +
                    " s, so it was denied."
              : "A human declined this call (policy rule '" + decision.rule_id + "').";
      return make_result(id, tool_error(text));
    }
    // The wait may have been long: a policy reloaded meanwhile that now
    // denies the call wins over the approval.
    auto now_policy = server.policy();
    if (now_policy != snap.policy) {
      Decision again = now_policy->peek({caller, *tool, args});
      if (again.effect == Effect::deny) {
        rec.closed("denied_after_reload");
        return make_result(id, tool_error(again.text()));
      }
    }
  }

  if (!tool->meta.empty()) {
    if (tool->meta == "call_tool") {
      auto target = call_tool_target(snap, *tool, args);
      if (!target) {
        rec.closed("unknown_target");
        return make_result(id, tool_error(target.error().message));
      }
      rec.closed("forwarded");
      // The target is validated, decided, approved and audited on its own,
      // exactly as a direct call.
      json inner = {{"name", *target}, {"arguments", args.value("arguments", json::object())}};
      if (!progress_token.is_null()) inner["_meta"] = {{"progressToken", progress_token}};
      return handle_tools_call(server, session, id, inner, stream, cancel);
    }
    json result = answer_discovery(snap, caller, *tool, args);
    rec.ended("ok", nullptr, dump_safe(result).size(), result.value("isError", false));
    return make_result(id, std::move(result));
  }

  if (proxied)
    return forward_call(session, snap, *tool, id, args, progress_token, stream, cancel, rec,
                        started);

  // Whatever the adapter needs first (an OAuth token) runs in a worker too.
  Runner runner = [&](WorkOrder o) {
    o.sandbox = server.sandbox_for(o.sandbox);
    return server.pool().run(o, &cancel, nullptr, false);
  };
  session.log_to_client(McpLevel::debug, {{"event", "call"}, {"tool", name}}, stream);
  WorkResult r;
  for (int attempt = 0;; ++attempt) {
    std::string refused = tool->adapter->before_call(*tool, attempt > 0, runner);
    if (cancel.cancelled()) {
      rec.ended("cancelled", nullptr, 0);
      return std::nullopt;
    }
    if (!refused.empty()) {
      rec.ended("credential_failed", nullptr, 0);
      return make_result(id, tool_error(refused));
    }
    auto order = tool->adapter->prepare(*tool, args);
    if (!order) {
      rec.ended("prepare_failed", nullptr, 0);
      return make_result(id, tool_error(order.error().message));
    }
    order->sandbox = server.sandbox_for(order->sandbox);
    r = server.pool().run(*order, &cancel, tick);
    // A refused credential is renewed once and the call tried once more.
    if (attempt == 0 && r.outcome == Outcome::ok && tool->adapter->credential_refused(*tool, r))
      continue;
    break;
  }
  uint64_t ms = uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count());
  json fields = {{"session", session.id()},
                 {"caller", caller.id},
                 {"tool", name},
                 {"outcome", to_string(r.outcome)},
                 {"ms", ms}};
  if (r.outcome == Outcome::cancelled) {
    rec.ended(std::string(to_string(r.outcome)), &r, 0);
    log::info("call cancelled", fields);
    return std::nullopt;
  }
  json result;
  if (r.outcome == Outcome::ok || r.outcome == Outcome::tool_error) {
    result = check_result(*tool, tool->adapter->render(*tool, r));
  } else {
    result = tool_error(outcome_text(r, tool->limits));
  }
  // Nothing a tool or upstream returns carries a configured secret back
  // (an API echoing the key it was sent, say).
  if (!snap.config->secrets.empty()) result = redact_values(result, snap.config->secrets);
  rec.ended(std::string(to_string(r.outcome)), &r, dump_safe(result).size(),
            result.value("isError", false));
  bool ok = r.outcome == Outcome::ok;
  log::write(ok ? log::Level::info : log::Level::warning, "call finished", fields);
  session.log_to_client(
      ok ? McpLevel::info : McpLevel::warning,
      {{"event", "call_finished"}, {"tool", name}, {"outcome", to_string(r.outcome)}, {"ms", ms}},
      stream);
  return make_result(id, std::move(result));
}

}  // namespace toolgate
