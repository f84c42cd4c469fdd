// The audit records and metrics of one tools/call (tools_call.cc): one
// "decision" record before anything is dispatched, an "approval" record when
// a human was asked, and an "end" record, all with the same call id.
// Internal to the gateway core.
#pragma once

#include <chrono>
#include <string>

#include "gateway/gateway.h"

namespace toolgate {

class CallRecord {
 public:
  CallRecord(Server& server, const Snapshot& snap, Session& session, const Tool& tool,
             const json& args);
  // A decided call that ends without an end record (an exception on the way)
  // still gets one: outcome "aborted".
  ~CallRecord();

  const std::string& call_id() const { return call_id_; }
  const json& redacted_args() const { return redacted_; }

  // Each returns false when the audit log could not be written: the call
  // must then not go ahead.
  bool decided(const Decision& d);
  bool approval(Verdict v, const std::string& by, const std::string& digest);
  // `result` is null when no worker ran.
  void ended(const std::string& outcome, const WorkResult* result, size_t bytes,
             bool is_error = true);
  // The end record of a call that was never dispatched (denied, declined,
  // cancelled while waiting); its metrics were counted with the decision.
  void closed(const std::string& outcome);

 private:
  bool write(json rec);
  json base() const;

  Server& server_;
  const Snapshot& snap_;
  Session& session_;
  const Tool& tool_;
  std::string call_id_;
  json redacted_;
  std::string digest_;
  std::string decision_ = "none";
  bool decided_ = false, finished_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace toolgate
