#include "gateway/call/call_record.h"

#include "common/log.h"

namespace toolgate {

CallRecord::CallRecord(Server& server, const Snapshot& snap, Session& session, const Tool& tool,
                       const json& args)
    : server_(server),
      snap_(snap),
      session_(session),
      tool_(tool),
      call_id_(random_session_id().substr(0, 16)),
      redacted_(redact(args, snap.config->secrets)),
      digest_(args_digest(args)) {}

json CallRecord::base() const {
  return {{"call", call_id_},
          {"session", session_.id()},
          {"caller", session_.caller().id},
          {"tool", tool_.name},
          {"source", tool_.source}};
}

bool CallRecord::write(json rec) {
  if (!snap_.audit) return true;
  if (snap_.audit->write(std::move(rec))) return true;
  server_.metrics().call(tool_.name, decision_, "audit_failed", -1);
  return false;
}

CallRecord::~CallRecord() {
  if (decided_ && !finished_) closed("aborted");
}

bool CallRecord::decided(const Decision& d) {
  decision_ = to_string(d.effect);
  decided_ = true;
  json rec = base();
  rec["event"] = "decision";
  rec["roles"] = session_.caller().roles;
  rec["decision"] = decision_;
  rec["rule"] = d.rule_id;
  rec["rules"] = d.matched;
  if (d.limited) rec["rate_limited"] = true;
  rec["args_digest"] = digest_;
  rec["args"] = redacted_;
  if (!write(std::move(rec))) return false;
  if (d.effect == Effect::deny) server_.metrics().call(tool_.name, decision_, "denied", -1);
  return true;
}

bool CallRecord::approval(Verdict v, const std::string& by, const std::string& digest) {
  server_.metrics().approval(to_string(v));
  json rec = base();
  rec["event"] = "approval";
  rec["verdict"] = to_string(v);
  rec["by"] = redact(by, snap_.config->secrets);
  rec["call_digest"] = digest;
  if (!write(std::move(rec))) return false;
  if (v != Verdict::approved) {
    server_.metrics().call(tool_.name, decision_,
                           v == Verdict::cancelled ? "cancelled" : "not_approved", -1);
  }
  return true;
}

void CallRecord::closed(const std::string& outcome) {
  finished_ = true;
  json rec = base();
  rec["event"] = "end";
  rec["outcome"] = outcome;
  rec["dispatched"] = false;
  if (snap_.audit && !snap_.audit->write(std::move(rec))) {
    log::error("audit end record lost", {{"call", call_id_}});
  }
}

void CallRecord::ended(const std::string& outcome, const WorkResult* r, size_t bytes,
                       bool is_error) {
  finished_ = true;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  server_.metrics().call(tool_.name, decision_, outcome, seconds);
  json rec = base();
  rec["event"] = "end";
  rec["outcome"] = outcome;
  rec["ms"] = uint64_t(seconds * 1000);
  rec["bytes"] = bytes;
  rec["is_error"] = is_error;
  if (r) {
    if (r->exit_code >= 0) rec["exit_code"] = r->exit_code;
    if (r->signal) rec["signal"] = r->signal;
    rec["worker_ms"] = r->duration_ms;
    // HTTP adapters: the upstream's status, as the worker reported it.
    if (tool_.facts.contains("http") && r->stdout_is_json && r->stdout_json.is_object()) {
      auto st = r->stdout_json.find("status");
      if (st != r->stdout_json.end() && st->is_number_integer()) rec["upstream_status"] = *st;
    }
  }
  // The decision record is already written; a failure here is logged only.
  if (snap_.audit && !snap_.audit->write(std::move(rec))) {
    log::error("audit end record lost", {{"call", call_id_}});
  }
}

}  // namespace toolgate
