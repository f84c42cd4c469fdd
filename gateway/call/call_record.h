// The audit records and metrics of one tools/call (pipeline.cc): one
// "decision" record before anything is dispatched, an "approval" record when
// a human was asked, and an "end" record, all with the same call id.
//
//   CallRecord rec(metrics, request, tool, args);
//   if (!rec.decided(decision)) return tool_error(kAuditUnavailable);
//   rec.ended(call_end_of(result.outcome), &result, bytes, is_error);
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/outcome.h"
#include "common/work_order.h"
#include "gateway/approvals/approvals.h"
#include "gateway/policy/policy.h"
#include "gateway/protocol/request_context.h"

namespace toolgate {

class Metrics;
struct Tool;

// How a call ended, as the audit log and the metrics say it: a fixed set.
// The first nine are a worker's Outcome; the rest end a call before or
// instead of a worker.
enum class CallEnd {
  ok,
  tool_error,
  timeout,
  signaled,
  over_memory,
  over_output,
  protocol_error,
  spawn_failure,
  cancelled,
  denied,               // the policy said no
  denied_after_reload,  // approved, but a policy reloaded meanwhile says no
  declined,             // a human said no
  approval_timeout,     // no human answered in time
  unknown_target,       // call_tool named no tool the caller may reach
  forwarded,            // call_tool: the target call has records of its own
  credential_failed,    // no credential could be obtained (an OAuth token)
  prepare_failed,       // the adapter could not build the request
  aborted,              // decided, then ended by an exception on the way
  input_required,       // 2026-07-28: asked the client for approval; it sends the call again
  state_refused,        // 2026-07-28: a retry whose requestState is not valid for it
  upstream_refused,     // the upstream MCP server refused the request (a protocol error)
};
std::string_view to_string(CallEnd end);
CallEnd call_end_of(Outcome outcome);

class CallRecord {
 public:
  CallRecord(Metrics& metrics, const RequestContext& rq, const Tool& tool, const json& args);
  // A decided call that ends without an end record (an exception on the way)
  // still gets one: outcome "aborted".
  ~CallRecord();

  const std::string& call_id() const { return call_id_; }

  // Each returns false when the audit log could not be written: the call
  // must then not go ahead.
  bool decided(const Decision& d);
  bool approval(Verdict v, const std::string& by, const std::string& digest);
  // `result` is null when no worker ran.
  void ended(CallEnd end, const WorkResult* result, size_t bytes, bool is_error = true);
  // The end record of a call that was never dispatched (denied, declined,
  // cancelled while waiting); its metrics were counted with the decision.
  void closed(CallEnd end);

 private:
  bool write(json rec);
  json base() const;

  Metrics& metrics_;
  const RequestContext& rq_;
  const Tool& tool_;
  std::string call_id_;
  json redacted_;
  std::string digest_;
  std::string decision_ = "none";
  bool decided_ = false, finished_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace toolgate
