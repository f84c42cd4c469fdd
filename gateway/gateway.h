// The gateway's shared state: the current config and catalog snapshots, the
// policy, the worker pool and the live sessions. Transports hold a Server&.
//
//   Server server(load_config(path), registry);       // throws ConfigError
//   Snapshot snap = server.snapshot();                 // config, catalog, policy, audit
//   auto session = server.create_session({"local", {"admin"}});
//   server.reload();   // on SIGHUP: swap snapshots, notify list_changed
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "gateway/approvals/approvals.h"
#include "gateway/audit/audit.h"
#include "gateway/audit/metrics.h"
#include "gateway/catalog/adapter.h"
#include "gateway/catalog/catalog.h"
#include "gateway/config/config.h"
#include "gateway/policy/policy.h"
#include "gateway/protocol/session.h"
#include "gateway/workers/sandbox_probe.h"
#include "gateway/workers/worker_pool.h"

namespace toolgate {

// What a call needs from one config generation, taken together so a reload
// in between cannot mix generations.
struct Snapshot {
  std::shared_ptr<const Config> config;
  std::shared_ptr<const Catalog> catalog;
  std::shared_ptr<const Policy> policy;
  std::shared_ptr<AuditLog> audit;  // null: no audit log configured
};

// The policy a config names (allow-all without `policies`). Throws ConfigError.
std::shared_ptr<const Policy> load_policy(const Config& cfg, std::shared_ptr<RateStore> store);
// Every caller the config defines (API keys and the local caller).
std::vector<Caller> configured_callers(const Config& cfg);

class Server {
 public:
  // Throws ConfigError (bad policy, unwritable audit log).
  Server(std::shared_ptr<const Config> cfg, const AdapterRegistry& registry);
  ~Server();

  std::shared_ptr<const Config> config() const;
  std::shared_ptr<const Catalog> catalog() const;
  std::shared_ptr<const Policy> policy() const;
  Snapshot snapshot() const;
  Metrics& metrics() { return metrics_; }
  ApprovalQueue& approvals() { return approvals_; }
  // Prometheus exposition of every metric, pool and session figures included.
  // The metrics exposition, with the transport's own samples appended.
  std::string render_metrics(const std::vector<Metrics::Sample>& transport = {});
  WorkerPool& pool() { return pool_; }
  const AdapterRegistry& registry() const { return registry_; }
  const SandboxSupport& sandbox_support() const { return sandbox_; }
  // The isolation every call gets (config and host support combined), with
  // the tool's own mounts and /tmp size filled in from `tool_part`.
  SandboxSpec sandbox_for(const SandboxSpec& tool_part) const;

  // Re-reads the config file. On success the new snapshots replace the old
  // ones atomically (calls in flight keep theirs) and, if the tool list
  // changed, every session gets notifications/tools/list_changed. On
  // failure the old config stays and the error ("file:line:col: ...") is
  // returned.
  std::string reload();

  std::shared_ptr<Session> create_session(Caller caller);
  std::shared_ptr<Session> find_session(const std::string& id);
  bool end_session(const std::string& id);
  size_t session_count();
  // Ends sessions idle for longer than server.session_idle_timeout_ms.
  size_t expire_idle_sessions();
  void for_each_session(const std::function<void(Session&)>& fn);

 private:
  const AdapterRegistry& registry_;
  std::mutex reload_mu_;  // SIGHUP and the file watcher may both reload
  mutable std::mutex snap_mu_;
  std::shared_ptr<const Config> config_;
  std::shared_ptr<const Catalog> catalog_;
  std::shared_ptr<const Policy> policy_;
  std::shared_ptr<AuditLog> audit_;
  std::shared_ptr<RateStore> rates_;  // outlives reloads: quotas are not reset by one
  Metrics metrics_;
  ApprovalQueue approvals_;
  WorkerPool pool_;
  SandboxSupport sandbox_;
  LoadFetcher fetcher_;  // adapters' load-time fetches, in workers
  Launcher launcher_;    // long-lived upstream servers, in workers

  // An upstream's list_changed: tools rebuild the catalog, resources and
  // prompts are passed on to clients, all on the refresher thread.
  void upstream_changed(const std::string& what);
  void refresh_loop();
  void refresh_tools();
  std::mutex refresh_mu_;
  std::condition_variable refresh_cv_;
  std::set<std::string> pending_changes_;
  bool stopping_ = false;
  std::thread refresher_;

  std::mutex sessions_mu_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
};

// Handles a tools/call request (tools_call.cc). Returns nothing when the
// call was cancelled: the client gets no response.
std::optional<json> handle_tools_call(Server& server, Session& session, const json& id,
                                      const json& params, Outbound* stream,
                                      const CancelToken& cancel);

// resources/*, prompts/* and completion/complete, answered by the upstream
// MCP servers of the catalog (federation.cc).
bool is_federated(const std::string& method);
std::optional<json> handle_federated(Server& server, Session& session, const json& id,
                                     const std::string& method, const json& params,
                                     Outbound* stream, const CancelToken& cancel);

// A cryptographically random session id: 32 hex characters (128 bits).
std::string random_session_id();

}  // namespace toolgate
