#include "gateway/gateway.h"

#include <malloc.h>
#include <openssl/rand.h>
#include <sys/prctl.h>

#include "common/log.h"
#include "gateway/workers/spawn.h"

namespace toolgate {

std::string random_session_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

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

}  // namespace

Server::Server(std::shared_ptr<const Config> cfg, const AdapterRegistry& registry)
    : registry_(registry),
      config_(cfg),
      rates_(std::make_shared<MemoryRateStore>()),
      pool_(cfg->workers.worker_path.empty() ? default_worker_path() : cfg->workers.worker_path,
            cfg->workers.max_concurrent, cfg->workers.prespawn,
            cfg->workers.mode == "pooled" ? cfg->workers.recycle_after : 0) {
  // Orphans of killed workers are re-parented to us, so we can kill them.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  WorkerPool::remove_stale_cgroups();
  sandbox_ = probe_sandbox(pool_, cfg->workers.sandbox);
  fetcher_ = [this](WorkOrder o) {
    o.sandbox = sandbox_for(o.sandbox);
    return pool_.run(o, nullptr, nullptr, false);
  };
  launcher_.spawn = [this] { return pool_.spawn_server(); };
  launcher_.retire = [this](pid_t pid) { pool_.retire(pid); };
  launcher_.sandbox_for = [this](const SandboxSpec& s) { return sandbox_for(s); };
  launcher_.changed = [this](const std::string& what) { upstream_changed(what); };
  try {
    catalog_ = Catalog::build(*cfg, registry_, &fetcher_, &launcher_);
    policy_ = load_policy(*cfg, rates_);
    audit_ = open_audit(*cfg, nullptr);
  } catch (...) {
    catalog_.reset();  // its upstream servers need the pool to stop
    throw;
  }
  refresher_ = std::thread([this] { refresh_loop(); });
  log_policy_state(*cfg, *catalog_, *policy_);
  // Loading large specs leaves freed heap behind; give it back.
  ::malloc_trim(0);
  if (!cfg->workers.sandbox.enabled) {
    log::error(
        "workers.sandbox.enabled is false: tools run without namespaces, seccomp or cgroups");
  }
  for (auto& step : sandbox_.steps) {
    if (!step.ok && cfg->workers.sandbox.enabled) {
      log::error("SANDBOX STEP UNAVAILABLE: tools run without it (see `toolgate doctor`)",
                 {{"step", step.name}, {"protects", step.what}, {"reason", step.detail}});
    }
  }
}

Server::~Server() {
  {
    std::lock_guard<std::mutex> lock(refresh_mu_);
    stopping_ = true;
  }
  refresh_cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  // Upstream servers go first: stopping them needs the worker pool.
  std::lock_guard<std::mutex> lock(snap_mu_);
  catalog_.reset();
}

void Server::upstream_changed(const std::string& what) {
  // Called on an upstream's reader thread, which must stay free to read the
  // answers a rebuild waits for: the work happens on the refresher thread.
  {
    std::lock_guard<std::mutex> lock(refresh_mu_);
    pending_changes_.insert(what);
  }
  refresh_cv_.notify_all();
}

void Server::refresh_loop() {
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
    for (const char* kind : {"resources", "prompts"}) {
      if (!what.count(kind)) continue;
      std::string method = std::string("notifications/") + kind + "/list_changed";
      for_each_session([&](Session& s) {
        if (s.initialized()) s.notify(method, nullptr, nullptr);
      });
    }
    lock.lock();
  }
}

void Server::refresh_tools() {
  std::lock_guard<std::mutex> reloading(reload_mu_);
  auto cfg = config();
  std::shared_ptr<const Catalog> cat;
  try {
    cat = Catalog::build(*cfg, registry_, &fetcher_, &launcher_);
  } catch (const ConfigError& e) {
    log::warn("an upstream's tools changed, but the catalog could not be rebuilt",
              {{"error", e.what()}});
    return;
  }
  bool changed;
  {
    std::lock_guard<std::mutex> lock(snap_mu_);
    changed = cat->digest() != catalog_->digest();
    catalog_ = cat;
  }
  log::info("upstream tools refreshed", {{"tools", cat->tools().size()}, {"changed", changed}});
  if (changed) {
    for_each_session([](Session& s) {
      if (s.initialized()) s.notify("notifications/tools/list_changed", nullptr, nullptr);
    });
  }
}

SandboxSpec Server::sandbox_for(const SandboxSpec& tool_part) const {
  SandboxSpec s = base_sandbox(sandbox_, config()->workers.sandbox);
  s.mounts = tool_part.mounts;
  if (tool_part.tmp_mb) s.tmp_mb = tool_part.tmp_mb;
  s.egress = tool_part.egress;
  return s;
}

std::shared_ptr<const Config> Server::config() const {
  std::lock_guard<std::mutex> lock(snap_mu_);
  return config_;
}

std::shared_ptr<const Catalog> Server::catalog() const {
  std::lock_guard<std::mutex> lock(snap_mu_);
  return catalog_;
}

std::shared_ptr<const Policy> Server::policy() const {
  std::lock_guard<std::mutex> lock(snap_mu_);
  return policy_;
}

Snapshot Server::snapshot() const {
  std::lock_guard<std::mutex> lock(snap_mu_);
  return {config_, catalog_, policy_, audit_};
}

std::string Server::render_metrics(const std::vector<Metrics::Sample>& transport) {
  const PoolStats& p = pool_.stats();
  std::vector<Metrics::Sample> samples = {
      {"toolgate_worker_spawns_total", "Worker processes started", "counter",
       double(p.spawned.load())},
      {"toolgate_worker_kills_total", "Workers stopped before they answered", "counter",
       double(p.killed.load())},
      {"toolgate_workers_active", "Workers running a call now", "gauge", double(p.active.load())},
      {"toolgate_sessions_active", "Open MCP sessions", "gauge", double(session_count())},
      {"toolgate_approvals_pending", "Calls waiting for a human", "gauge",
       double(approvals_.list().size())},
  };
  samples.insert(samples.end(), transport.begin(), transport.end());
  return metrics_.render(samples);
}

std::string Server::reload() {
  std::lock_guard<std::mutex> reloading(reload_mu_);
  std::shared_ptr<const Config> cfg;
  std::shared_ptr<const Catalog> cat;
  std::shared_ptr<const Policy> pol;
  std::shared_ptr<AuditLog> audit;
  try {
    cfg = load_config(config()->path);
    cat = Catalog::build(*cfg, registry_, &fetcher_, &launcher_);
    pol = load_policy(*cfg, rates_);
    audit = open_audit(*cfg, snapshot().audit);
  } catch (const ConfigError& e) {
    log::error(
        std::string("reload rejected; the previous config and policy stay in force: ") + e.what(),
        {{"error", e.what()}});
    metrics_.reload(false);
    return e.what();
  }
  metrics_.reload(true);
  log_policy_state(*cfg, *cat, *pol);
  bool changed;
  {
    std::lock_guard<std::mutex> lock(snap_mu_);
    // What a client sees also depends on the policy (denied tools are
    // hidden), so any reload with a policy counts as a change.
    changed = cat->digest() != catalog_->digest() || pol->configured() || policy_->configured();
    if (cfg->workers.max_concurrent != config_->workers.max_concurrent ||
        cfg->workers.worker_path != config_->workers.worker_path ||
        cfg->server.listen_host != config_->server.listen_host ||
        cfg->server.listen_port != config_->server.listen_port) {
      log::warn(
          "server.listen, workers.max_concurrent and workers.worker_path take effect on restart");
    }
    config_ = cfg;
    catalog_ = cat;
    policy_ = pol;
    audit_ = audit;
  }
  ::malloc_trim(0);
  log::info("config reloaded", {{"tools", cat->tools().size()}, {"tools_changed", changed}});
  if (changed) {
    for_each_session([](Session& s) {
      if (s.initialized()) s.notify("notifications/tools/list_changed", nullptr, nullptr);
    });
  }
  return "";
}

std::shared_ptr<Session> Server::create_session(Caller caller) {
  auto s = std::make_shared<Session>(*this, random_session_id(), std::move(caller));
  std::lock_guard<std::mutex> lock(sessions_mu_);
  sessions_[s->id()] = s;
  return s;
}

std::shared_ptr<Session> Server::find_session(const std::string& id) {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

bool Server::end_session(const std::string& id) {
  std::shared_ptr<Session> s;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    s = it->second;
    sessions_.erase(it);
  }
  s->close();
  return true;
}

size_t Server::session_count() {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  return sessions_.size();
}

size_t Server::expire_idle_sessions() {
  auto limit = std::chrono::milliseconds(config()->server.session_idle_timeout_ms);
  auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<Session>> expired;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (now - it->second->last_active() > limit) {
        expired.push_back(it->second);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& s : expired) s->close();
  return expired.size();
}

void Server::for_each_session(const std::function<void(Session&)>& fn) {
  std::vector<std::shared_ptr<Session>> all;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    for (auto& [id, s] : sessions_) all.push_back(s);
  }
  for (auto& s : all) fn(*s);
}

}  // namespace toolgate
