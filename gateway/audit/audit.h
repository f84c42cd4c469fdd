// The audit log: append-only JSON Lines, one record per decision (written
// before the call is dispatched), per approval and per call end, correlated
// by call id. Each record is one write(2) on an O_APPEND descriptor, so a
// crash of the gateway or a worker never loses a record already written;
// `fsync: true` adds fdatasync for power loss. The file rotates by size.
//
//   auto log = AuditLog::open(cfg->audit);          // error: "cannot open ..."
//   if (!(*log)->write({{"event", "decision"}, ...})) deny("audit log unavailable");
//   json safe = redact(args, cfg->secrets);         // before anything is logged
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/json_limits.h"
#include "common/result.h"
#include "gateway/config/config.h"

namespace toolgate {

class AuditLog {
 public:
  static Result<std::shared_ptr<AuditLog>> open(const AuditConfig& cfg);
  ~AuditLog();

  // Adds "ts" (UTC, milliseconds) and appends the record. False when it
  // could not be written completely; the caller must then not go ahead.
  bool write(json record);
  // New fsync/rotation settings for the same path (a reload): one object
  // per file, so calls of the old and new config never rotate it twice.
  void reconfigure(const AuditConfig& cfg);
  const std::string& path() const { return cfg_.path; }

 private:
  explicit AuditLog(AuditConfig cfg) : cfg_(std::move(cfg)) {}
  bool rotate_locked();
  AuditConfig cfg_;
  std::mutex mu_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// A copy of `value` safe to log: values under secret-looking keys (password,
// token, secret, api_key, authorization, cookie, ...) and every occurrence
// of a configured secret are replaced by "[REDACTED]".
json redact(const json& value, const std::vector<std::string>& secrets);
// Only the configured secret values hidden (for showing a call to a human,
// who must see every argument).
json redact_values(const json& value, const std::vector<std::string>& secrets);
// "sha256:<hex>" of the canonical (sorted-key) JSON of `args`.
std::string args_digest(const json& args);
// UTC "2026-11-22T21:03:04.123Z".
std::string utc_timestamp_ms();

}  // namespace toolgate
