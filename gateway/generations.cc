#include "gateway/generations.h"

#include <malloc.h>

#include "common/log.h"
#include "gateway/audit/audit.h"
#include "gateway/audit/metrics.h"
#include "gateway/catalog/adapter.h"
#include "gateway/catalog/catalog.h"
#include "gateway/config/config.h"
#include "gateway/policy/policy.h"
#include "gateway/workers/sandbox_probe.h"
#include "gateway/workers/sandboxed_run.h"
#include "gateway/workers/worker_pool.h"

namespace toolgate {

std::shared_ptr<const Policy> load_policy(const Config& cfg, std::shared_ptr<RateStore> store) {
  if (cfg.policies.empty()) return std::make_shared<AllowAllPolicy>();
  return PolicySet::load(cfg.policies, std::move(store));
}

std::vector<Caller> configured_callers(const Config& cfg) {
  std::vector<Caller> out = {{cfg.server.local_caller_id, cfg.server.local_caller_roles}};
  for (auto& k : cfg.server.api_keys) out.push_back({k.caller, k.roles});
  return out;
}

namespace {

std::shared_ptr<AuditLog> open_audit(const Config& cfg, const std::shared_ptr<AuditLog>& current) {
  if (cfg.audit.path.empty()) return nullptr;
  if (current && current->path() == cfg.audit.path) {
    current->reconfigure(cfg.audit);
    return current;
  }
  auto log = AuditLog::open(cfg.audit);
  if (!log) throw ConfigError(cfg.where("/audit/path") + ": " + log.error().message);
  return *log;
}

// Lint warnings are logged; a policy that loads is in force either way.
void log_policy_state(const Config& cfg, const Catalog& cat, const Policy& policy) {
  auto* set = dynamic_cast<const PolicySet*>(&policy);
  if (!set) {
    log::warn("no policies are configured: every call is allowed");
    return;
  }
  for (auto& w : set->lint(cat, configured_callers(cfg))) {
    log::warn("policy lint: " + w.where + ": " + w.message);
  }
  log::info("policy loaded", {{"files", set->files()}, {"rules", set->rule_count()}});
}

void warn_restart_only(const Config& next, const Config& now) {
  if (next.workers.max_concurrent != now.workers.max_concurrent ||
      next.workers.worker_path != now.workers.worker_path ||
      next.server.listen_host != now.server.listen_host ||
      next.server.listen_port != now.server.listen_port) {
    log::warn(
        "server.listen, workers.max_concurrent and workers.worker_path take effect on restart");
  }
}

}  // namespace

Generations::Generations(std::shared_ptr<const Config> cfg, Builders builders,
                         ListChanged on_changed)
    : builders_(builders),
      on_changed_(std::move(on_changed)),
      rates_(std::make_shared<MemoryRateStore>()),
      launcher_(std::make_shared<Launcher>()) {
  WorkerPool& pool = builders_.pool;
  launcher_->spawn = [&pool] { return pool.spawn_server(); };
  launcher_->retire = [&pool](pid_t pid) { pool.retire(pid); };
  launcher_->changed = [this](const std::string& what) { upstream_changed(what); };
  current_ = build(cfg, nullptr);
  refresher_ = std::thread([this] { refresh_loop(); });
  log_policy_state(*cfg, *current_.catalog, *current_.policy);
  // Loading large specs leaves freed heap behind; give it back.
  ::malloc_trim(0);
}

Generations::~Generations() {
  {
    std::lock_guard<std::mutex> lock(refresh_mu_);
    stopping_ = true;
  }
  refresh_cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  // Upstream servers go first: stopping them needs the worker pool.
  std::lock_guard<std::mutex> lock(snap_mu_);
  current_.catalog.reset();
}

Snapshot Generations::current() const {
  std::lock_guard<std::mutex> lock(snap_mu_);
  return current_;
}

std::shared_ptr<const Catalog> Generations::build_catalog(
    const Config& cfg, const std::shared_ptr<const SandboxSpec>& sandbox) {
  LoadFetcher fetch = [&pool = builders_.pool, sandbox](WorkOrder o) {
    return run_sandboxed(pool, *sandbox, std::move(o), nullptr, nullptr, false);
  };
  SandboxFor sandbox_for = [sandbox](const SandboxSpec& part) {
    return call_sandbox(*sandbox, part);
  };
  return Catalog::build(cfg, builders_.registry, &fetch, launcher_.get(), &sandbox_for);
}

// A whole generation, or ConfigError. Everything a load runs (a spec fetched
// from a URL, an upstream server) runs under the new generation's sandbox.
Snapshot Generations::build(std::shared_ptr<const Config> cfg, const Snapshot* previous) {
  Snapshot next;
  next.config = cfg;
  next.sandbox = std::make_shared<const SandboxSpec>(
      base_sandbox(builders_.sandbox_support, cfg->workers.sandbox));
  try {
    next.catalog = build_catalog(*cfg, next.sandbox);
    next.policy = load_policy(*cfg, rates_);
    next.audit = open_audit(*cfg, previous ? previous->audit : nullptr);
  } catch (...) {
    next.catalog.reset();  // its upstream servers need the pool to stop
    throw;
  }
  return next;
}

void Generations::swap_in(Snapshot next) {
  std::lock_guard<std::mutex> lock(snap_mu_);
  current_ = std::move(next);
}

std::string Generations::reload() {
  std::lock_guard<std::mutex> reloading(reload_mu_);
  Snapshot now = current();
  Snapshot next;
  try {
    next = build(load_config(now.config->path), &now);
  } catch (const ConfigError& e) {
    log::error(
        std::string("reload rejected; the previous config and policy stay in force: ") + e.what(),
        {{"error", e.what()}});
    builders_.metrics.reload(false);
    return e.what();
  }
  builders_.metrics.reload(true);
  log_policy_state(*next.config, *next.catalog, *next.policy);
  warn_restart_only(*next.config, *now.config);
  // What a client sees also depends on the policy (denied tools are
  // hidden), so any reload with a policy counts as a change.
  bool changed = next.catalog->digest() != now.catalog->digest() || next.policy->configured() ||
                 now.policy->configured();
  size_t tools = next.catalog->tools().size();
  swap_in(std::move(next));
  now = Snapshot{};  // the old generation goes once its last request ends
  ::malloc_trim(0);
  log::info("config reloaded", {{"tools", tools}, {"tools_changed", changed}});
  if (changed) on_changed_("notifications/tools/list_changed");
  return "";
}

void Generations::upstream_changed(const std::string& what) {
  // Called on an upstream's reader thread, which must stay free to read the
  // answers a rebuild waits for: the work happens on the refresher thread.
  {
    std::lock_guard<std::mutex> lock(refresh_mu_);
    pending_changes_.insert(what);
  }
  refresh_cv_.notify_all();
}

void Generations::refresh_loop() {
  // An upstream sending list_changed in a loop gets one rebuild a second at
  // most: the changes that arrive meanwhile are taken together.
  constexpr auto kMinGap = std::chrono::seconds(1);
  auto last = std::chrono::steady_clock::now() - kMinGap;
  std::unique_lock<std::mutex> lock(refresh_mu_);
  for (;;) {
    refresh_cv_.wait(lock, [&] { return stopping_ || !pending_changes_.empty(); });
    if (stopping_) return;
    refresh_cv_.wait_until(lock, last + kMinGap, [&] { return stopping_; });
    if (stopping_) return;
    last = std::chrono::steady_clock::now();
    std::set<std::string> what;
    what.swap(pending_changes_);
    lock.unlock();
    if (what.count("tools")) refresh_tools();
    for (const char* kind : {"resources", "prompts"})
      if (what.count(kind)) on_changed_(std::string("notifications/") + kind + "/list_changed");
    lock.lock();
  }
}

// Only the catalog is rebuilt, from the same config: the generation's
// config, policy, audit log and sandbox carry over.
void Generations::refresh_tools() {
  std::lock_guard<std::mutex> reloading(reload_mu_);
  Snapshot next = current();
  std::shared_ptr<const Catalog> cat;
  try {
    cat = build_catalog(*next.config, next.sandbox);
  } catch (const ConfigError& e) {
    log::warn("an upstream's tools changed, but the catalog could not be rebuilt",
              {{"error", e.what()}});
    return;
  }
  bool changed = cat->digest() != next.catalog->digest();
  size_t tools = cat->tools().size();
  next.catalog = std::move(cat);
  swap_in(std::move(next));
  log::info("upstream tools refreshed", {{"tools", tools}, {"changed", changed}});
  // Announced even when the catalog came out the same: the upstream said
  // its list changed, and a proxy passes that on (a client may know more
  // about the change than the gateway can see, e.g. in a tool's output).
  on_changed_("notifications/tools/list_changed");
}

}  // namespace toolgate
