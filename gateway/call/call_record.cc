#include "gateway/call/call_record.h"

#include "common/log.h"
#include "gateway/audit/audit.h"
#include "gateway/audit/metrics.h"
#include "gateway/catalog/catalog.h"
#include "gateway/config/config.h"
#include "gateway/identity/random_id.h"

namespace toolgate {

std::string_view to_string(CallEnd end) {
  switch (end) {
    case CallEnd::ok:
      return "ok";
    case CallEnd::tool_error:
      return "tool_error";
    case CallEnd::timeout:
      return "timeout";
    case CallEnd::signaled:
      return "signaled";
    case CallEnd::over_memory:
      return "over_memory";
    case CallEnd::over_output:
      return "over_output";
    case CallEnd::protocol_error:
      return "protocol_error";
    case CallEnd::spawn_failure:
      return "spawn_failure";
    case CallEnd::cancelled:
      return "cancelled";
    case CallEnd::denied:
      return "denied";
    case CallEnd::denied_after_reload:
      return "denied_after_reload";
    case CallEnd::declined:
      return "declined";
    case CallEnd::approval_timeout:
      return "approval_timeout";
    case CallEnd::unknown_target:
      return "unknown_target";
    case CallEnd::forwarded:
      return "forwarded";
    case CallEnd::credential_failed:
      return "credential_failed";
    case CallEnd::prepare_failed:
      return "prepare_failed";
    case CallEnd::aborted:
      return "aborted";
    case CallEnd::input_required:
      return "input_required";
    case CallEnd::state_refused:
      return "state_refused";
    case CallEnd::upstream_refused:
      return "upstream_refused";
  }
  return "aborted";
}

CallEnd call_end_of(Outcome outcome) {
  switch (outcome) {
    case Outcome::ok:
      return CallEnd::ok;
    case Outcome::tool_error:
      return CallEnd::tool_error;
    case Outcome::timeout:
      return CallEnd::timeout;
    case Outcome::signaled:
      return CallEnd::signaled;
    case Outcome::over_memory:
      return CallEnd::over_memory;
    case Outcome::over_output:
      return CallEnd::over_output;
    case Outcome::protocol_error:
      return CallEnd::protocol_error;
    case Outcome::spawn_failure:
      return CallEnd::spawn_failure;
    case Outcome::cancelled:
      return CallEnd::cancelled;
  }
  return CallEnd::protocol_error;
}

CallRecord::CallRecord(Metrics& metrics, const RequestContext& rq, const Tool& tool,
                       const json& args)
    : metrics_(metrics),
      rq_(rq),
      tool_(tool),
      call_id_(random_hex_id(8)),
      redacted_(redact(args, rq.snapshot.config->secrets)),
      digest_(args_digest(args)) {}

json CallRecord::base() const {
  return {{"call", call_id_},
          {"session", rq_.session_id()},
          {"caller", rq_.caller.id},
          {"tool", tool_.name},
          {"source", tool_.source}};
}

bool CallRecord::write(json rec) {
  const auto& audit = rq_.snapshot.audit;
  if (!audit) return true;
  if (audit->write(std::move(rec))) return true;
  metrics_.call(tool_.name, decision_, "audit_failed", -1);
  return false;
}

CallRecord::~CallRecord() {
  if (decided_ && !finished_) closed(CallEnd::aborted);
}

bool CallRecord::decided(const Decision& d) {
  decision_ = to_string(d.effect);
  decided_ = true;
  json rec = base();
  rec["event"] = "decision";
  rec["roles"] = rq_.caller.roles;
  rec["decision"] = decision_;
  rec["rule"] = d.rule_id;
  rec["rules"] = d.matched;
  if (d.limited) rec["rate_limited"] = true;
  rec["args_digest"] = digest_;
  rec["args"] = redacted_;
  if (!write(std::move(rec))) return false;
  if (d.effect == Effect::deny) metrics_.call(tool_.name, decision_, "denied", -1);
  return true;
}

bool CallRecord::approval(Verdict v, const std::string& by, const std::string& digest) {
  metrics_.approval(to_string(v));
  json rec = base();
  rec["event"] = "approval";
  rec["verdict"] = to_string(v);
  rec["by"] = redact(by, rq_.snapshot.config->secrets);
  rec["call_digest"] = digest;
  if (!write(std::move(rec))) return false;
  if (v != Verdict::approved) {
    metrics_.call(tool_.name, decision_, v == Verdict::cancelled ? "cancelled" : "not_approved",
                  -1);
  }
  return true;
}

void CallRecord::closed(CallEnd end) {
  finished_ = true;
  json rec = base();
  rec["event"] = "end";
  rec["outcome"] = to_string(end);
  rec["dispatched"] = false;
  const auto& audit = rq_.snapshot.audit;
  if (audit && !audit->write(std::move(rec))) {
    log::error("audit end record lost", {{"call", call_id_}});
  }
}

void CallRecord::ended(CallEnd end, const WorkResult* r, size_t bytes, bool is_error) {
  finished_ = true;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  metrics_.call(tool_.name, decision_, std::string(to_string(end)), seconds);
  json rec = base();
  rec["event"] = "end";
  rec["outcome"] = to_string(end);
  rec["ms"] = uint64_t(seconds * 1000);
  rec["bytes"] = bytes;
  rec["is_error"] = is_error;
  if (r) {
    if (r->exit_code >= 0) rec["exit_code"] = r->exit_code;
    if (r->signal) rec["signal"] = r->signal;
    rec["worker_ms"] = r->duration_ms;
    if (r->reason != EndReason::none) rec["reason"] = std::string(to_string(r->reason));
    // HTTP adapters: the upstream's status, as the worker reported it.
    if (tool_.facts.contains("http") && r->stdout_is_json && r->stdout_json.is_object()) {
      auto st = r->stdout_json.find("status");
      if (st != r->stdout_json.end() && st->is_number_integer()) rec["upstream_status"] = *st;
    }
  }
  // The decision record is already written; a failure here is logged only.
  const auto& audit = rq_.snapshot.audit;
  if (audit && !audit->write(std::move(rec))) {
    log::error("audit end record lost", {{"call", call_id_}});
  }
}

}  // namespace toolgate
