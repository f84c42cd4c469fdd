// Pending human approvals: calls a policy rule sent for approval while the
// client cannot ask its user (no elicitation capability). A call waits here
// until a human approves or denies it through `toolgate approvals` (a Unix
// socket only the gateway's own user can reach) or the authenticated
// /admin/approvals HTTP endpoint, or until the timeout denies it. No MCP
// tool can resolve an approval: the model never approves its own call.
//
//   auto p = queue.add(info);                        // sets info.id
//   Verdict v = queue.wait(*p, deadline, &cancel, tick);
//   queue.resolve(id, true, "cli:uid=1000", &err);   // from the admin side
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/cancel.h"
#include "common/json_limits.h"

namespace toolgate {

struct PendingApproval {
  std::string id;       // random, 16 hex
  std::string call_id;  // as in the audit log
  std::string session;
  std::string caller;
  std::string tool;
  json args;           // redacted
  std::string digest;  // args_digest of the exact arguments approved
  std::string rule_id;
  std::string message;
  std::string created;  // UTC timestamp
  uint64_t expires_in_ms = 0;

  json to_json() const;
};

enum class Verdict { approved, declined, timeout, cancelled };
const char* to_string(Verdict v);

class ApprovalQueue {
 public:
  struct Entry;
  // Queues a call; sets info.id. Null when the caller already has
  // kMaxPendingPerCaller calls waiting (each holds a transport thread).
  static constexpr size_t kMaxPendingPerCaller = 8;
  std::shared_ptr<Entry> add(PendingApproval& info);
  // A call whose client comes back for the answer (MCP 2026-07-28
  // input_required): queued, listed and decidable like any other, but
  // nothing waits on it here. It is dropped at its deadline.
  bool park(PendingApproval& info);
  // A parked call, removed from the queue, with what a human decided
  // meanwhile (if anything). Nullopt when there is none by that id: never
  // parked, expired, or taken already (a replayed retry).
  struct Taken {
    bool decided = false;
    bool approved = false;
    std::string by;
  };
  std::optional<Taken> take(const std::string& id);
  // Blocks until resolved, `deadline`, or `cancel`. `tick` runs about once a
  // second with the elapsed milliseconds. The entry is removed on return.
  Verdict wait(const std::shared_ptr<Entry>& e, std::chrono::steady_clock::time_point deadline,
               const CancelToken* cancel, const std::function<void(uint64_t)>& tick,
               std::string* by);
  // Approves or denies a pending call. `by` says who, for the audit log.
  // `approver_caller`: refuse when it is the caller that made the call.
  bool resolve(const std::string& id, bool approve, const std::string& by,
               const std::string& approver_caller, std::string* error);
  std::vector<PendingApproval> list();

 private:
  std::shared_ptr<Entry> add_entry(PendingApproval& info, bool parked);
  // Parked calls past their deadline; under mu_.
  void drop_expired_parked();
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> pending_;
};

// Serves ApprovalQueue over a Unix stream socket: one JSON request per line
// ({"op":"list"} | {"op":"approve"|"deny","id":...}), one JSON answer per
// line. Only peers running as the gateway's uid (or root) are served.
class AdminSocket {
 public:
  AdminSocket(ApprovalQueue& queue) : queue_(queue) {}
  ~AdminSocket();
  // Creates the socket (mode 0600) in a directory that must belong to us
  // and be closed to others. Empty on success, else the reason.
  std::string start(const std::string& path);

 private:
  void serve();
  void handle(int fd, uid_t uid);
  ApprovalQueue& queue_;
  std::atomic<int> busy_{0};
  std::string path_;
  int fd_ = -1;
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

// Where `toolgate serve -c CONFIG` listens for `toolgate approvals` when
// approvals.socket is not set: $XDG_RUNTIME_DIR/toolgate/ or
// /tmp/toolgate-UID/, one socket per config file.
std::string default_approvals_socket(const std::string& config_path);
// Sends one request to an AdminSocket and returns its answer.
Result<json> admin_request(const std::string& socket_path, const json& request);

}  // namespace toolgate
