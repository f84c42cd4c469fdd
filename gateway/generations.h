// The gateway's config generations: the Snapshot every new request takes,
// and the reloads that replace it. A reload (SIGHUP, the file watcher)
// builds a whole new generation and swaps it in atomically; requests in
// flight keep theirs. An upstream's tools/list_changed rebuilds the catalog
// the same way, at most once a second.
//
//   Generations gens(cfg, {registry, pool, sandbox_support}, on_list_changed);
//   Snapshot snap = gens.current();
//   std::string err = gens.reload();   // "" or "file:line:col: ..."; old generation stays
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gateway/config/snapshot.h"
#include "gateway/identity/caller.h"

namespace toolgate {

class AdapterRegistry;
struct Launcher;
class Metrics;
class RateStore;
class WorkerPool;
struct SandboxSupport;

class Generations {
 public:
  // What building a generation uses.
  struct Builders {
    const AdapterRegistry& registry;
    WorkerPool& pool;  // adapters' load-time fetches and upstream servers run in workers
    const SandboxSupport& sandbox_support;
    Metrics& metrics;  // reloads, counted
  };
  // Told the notification clients are due when what they see changed:
  // "notifications/tools/list_changed", ".../resources/list_changed", ...
  using ListChanged = std::function<void(const std::string& notification)>;

  // Builds the first generation. Throws ConfigError (bad policy, unwritable
  // audit log, a source that cannot be loaded).
  Generations(std::shared_ptr<const Config> cfg, Builders builders, ListChanged on_changed);
  ~Generations();

  Snapshot current() const;
  std::shared_ptr<const Config> config() const { return current().config; }

  // Re-reads the config file. On failure the old generation stays and the
  // error ("file:line:col: ...") is returned; "" on success.
  std::string reload();

 private:
  Snapshot build(std::shared_ptr<const Config> cfg, const Snapshot* previous);
  // Adapters load under `sandbox`, the generation's own.
  std::shared_ptr<const Catalog> build_catalog(const Config& cfg,
                                               const std::shared_ptr<const SandboxSpec>& sandbox);
  void swap_in(Snapshot next);
  // An upstream's list_changed: tools rebuild the catalog, resources and
  // prompts are passed on to clients, all on the refresher thread.
  void upstream_changed(const std::string& what);
  void refresh_loop();
  void refresh_tools();

  Builders builders_;
  ListChanged on_changed_;
  std::shared_ptr<RateStore> rates_;    // outlives reloads: quotas are not reset by one
  std::shared_ptr<Launcher> launcher_;  // one for all generations: upstreams keep it

  std::mutex reload_mu_;  // SIGHUP, the file watcher and the refresher may all rebuild
  mutable std::mutex snap_mu_;
  Snapshot current_;

  std::mutex refresh_mu_;
  std::condition_variable refresh_cv_;
  std::set<std::string> pending_changes_;
  bool stopping_ = false;
  std::thread refresher_;
};

// The policy a config names (allow-all without `policies`). Throws ConfigError.
std::shared_ptr<const Policy> load_policy(const Config& cfg, std::shared_ptr<RateStore> store);
// Every caller the config defines (API keys and the local caller).
std::vector<Caller> configured_callers(const Config& cfg);

}  // namespace toolgate
