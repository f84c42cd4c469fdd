// Which isolation steps this host allows, found by running a trivial tool
// through a real worker with each step on its own. The gateway applies
// every available step to every call, and reports each unavailable one
// loudly at startup and in `toolgate doctor`: it never falls back quietly.
//
//   auto support = probe_sandbox(pool, cfg.workers.sandbox);
//   for (auto& s : support.steps) if (!s.ok) log::error(...);
#pragma once

#include <string>
#include <vector>

#include "gateway/config/config.h"
#include "gateway/workers/worker_pool.h"

namespace toolgate {

struct SandboxStep {
  std::string name;  // "namespaces", "identity", "seccomp", "cgroups"
  std::string what;  // one line: what the step protects
  bool ok = false;
  std::string detail;  // why it is unavailable (empty when ok)
};

struct SandboxSupport {
  bool namespaces = false, drop_identity = false, seccomp = false, cgroups = false;
  bool user_namespace = false;  // the gateway is not root
  std::vector<SandboxStep> steps;
  bool all_ok() const;
};

SandboxSupport probe_sandbox(WorkerPool& pool, const SandboxConfig& cfg);

// The SandboxSpec every call gets: what the config enables and the host allows.
SandboxSpec base_sandbox(const SandboxSupport& support, const SandboxConfig& cfg);

}  // namespace toolgate
