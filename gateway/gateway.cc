#include "gateway/gateway.h"

#include <sys/prctl.h>

#include "common/log.h"

namespace toolgate {
namespace {

WorkerPool make_pool(const Config& cfg) {
  const WorkersConfig& w = cfg.workers;
  return WorkerPool(w.worker_path.empty() ? default_worker_path() : w.worker_path, w.max_concurrent,
                    w.prespawn, w.mode == "pooled" ? w.recycle_after : 0);
}

// Every unavailable step is said loudly at startup: tools never run with
// less isolation than the operator thinks.
void report_sandbox(const Config& cfg, const SandboxSupport& support) {
  if (!cfg.workers.sandbox.enabled) {
    log::error(
        "workers.sandbox.enabled is false: tools run without namespaces, seccomp or cgroups");
    return;
  }
  for (auto& step : support.steps) {
    if (!step.ok) {
      log::error("SANDBOX STEP UNAVAILABLE: tools run without it (see `toolgate doctor`)",
                 {{"step", step.name}, {"protects", step.what}, {"reason", step.detail}});
    }
  }
}

}  // namespace

Gateway::Gateway(std::shared_ptr<const Config> cfg, const AdapterRegistry& registry)
    : pool_(make_pool(*cfg)) {
  // Orphans of killed workers are re-parented to us, so we can kill them.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  WorkerPool::remove_stale_cgroups();
  sandbox_ = probe_sandbox(pool_, cfg->workers.sandbox);
  generations_ =
      std::make_unique<Generations>(cfg, Generations::Builders{registry, pool_, sandbox_, metrics_},
                                    [this](const std::string& notification) {
                                      sessions_.broadcast(notification);
                                      if (stateless_)
                                        stateless_->listeners().broadcast(notification);
                                    });
  calls_ = std::make_unique<CallPipeline>(
      CallServices{pool_, approvals_, metrics_, *generations_, states_});
  dispatcher_ = std::make_unique<Dispatcher>(*generations_, *calls_);
  stateless_ = std::make_unique<StatelessFront>(*dispatcher_);
  report_sandbox(*cfg, sandbox_);
}

Gateway::~Gateway() {
  // Calls running on as tasks use everything below: they end first.
  if (stateless_) stateless_->tasks().shutdown();
  // Sessions first (they end their upstream subscriptions), then the
  // generations' upstream servers, which need the worker pool to stop.
  sessions_.for_each([](Session& s) { s.close(); });
  dispatcher_.reset();
  calls_.reset();
  generations_.reset();
  // Last: the generations' refresh thread announces list changes to it.
  stateless_.reset();
}

std::shared_ptr<Session> Gateway::open_session(Caller caller) {
  return sessions_.create(*dispatcher_, std::move(caller));
}

std::string Gateway::render_metrics(const std::vector<Metrics::Sample>& transport) {
  const PoolStats& p = pool_.stats();
  std::vector<Metrics::Sample> samples = {
      {"toolgate_worker_spawns_total", "Worker processes started", "counter",
       double(p.spawned.load())},
      {"toolgate_worker_kills_total", "Workers stopped before they answered", "counter",
       double(p.killed.load())},
      {"toolgate_workers_active", "Workers running a call now", "gauge", double(p.active.load())},
      {"toolgate_sessions_active", "Open MCP sessions", "gauge", double(sessions_.count())},
      {"toolgate_approvals_pending", "Calls waiting for a human", "gauge",
       double(approvals_.list().size())},
  };
  samples.insert(samples.end(), transport.begin(), transport.end());
  return metrics_.render(samples);
}

}  // namespace toolgate
