// The running gateway: the composition root that owns every long-lived part
// and wires them together. Only the CLI (serve), the transports and tests
// hold it; every part below takes just what it uses (a RequestContext, the
// CallServices, a Generations&).
//
//   Gateway gw(load_config(path), registry);          // throws ConfigError
//   auto session = gw.open_session({"local", {"admin"}});   // a 2025 client
//   gw.stateless().handle(read_message(doc), caller, stream);  // a 2026 request
//   gw.reload();                                      // on SIGHUP
//   Snapshot snap = gw.generations().current();
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/approvals/approvals.h"
#include "gateway/audit/metrics.h"
#include "gateway/call/pipeline.h"
#include "gateway/call/request_state.h"
#include "gateway/catalog/adapter.h"
#include "gateway/config/config.h"
#include "gateway/generations.h"
#include "gateway/protocol/dispatcher.h"
#include "gateway/protocol/session_table.h"
#include "gateway/protocol/stateless.h"
#include "gateway/workers/sandbox_probe.h"
#include "gateway/workers/worker_pool.h"

namespace toolgate {

class Gateway {
 public:
  // Throws ConfigError (bad policy, unwritable audit log).
  Gateway(std::shared_ptr<const Config> cfg, const AdapterRegistry& registry);
  ~Gateway();

  Generations& generations() { return *generations_; }
  std::shared_ptr<const Config> config() const { return generations_->config(); }
  SessionTable& sessions() { return sessions_; }
  // A new 2025-era session for `caller`, registered in sessions().
  std::shared_ptr<Session> open_session(Caller caller);
  // Where 2026-07-28 requests go: no session, the same dispatcher.
  StatelessFront& stateless() { return *stateless_; }
  WorkerPool& pool() { return pool_; }
  ApprovalQueue& approvals() { return approvals_; }
  Metrics& metrics() { return metrics_; }
  const SandboxSupport& sandbox_support() const { return sandbox_; }

  // The config file again (SIGHUP, the file watcher): "" or the error, with
  // the old generation still in force.
  std::string reload() { return generations_->reload(); }
  // Prometheus exposition of every metric, with pool and session figures
  // and the transport's own samples appended.
  std::string render_metrics(const std::vector<Metrics::Sample>& transport = {});

 private:
  Metrics metrics_;
  ApprovalQueue approvals_;
  WorkerPool pool_;
  SandboxSupport sandbox_;
  SessionTable sessions_;
  RequestStateSealer states_;  // a key of this process's own
  std::unique_ptr<Generations> generations_;
  std::unique_ptr<CallPipeline> calls_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<StatelessFront> stateless_;
};

}  // namespace toolgate
