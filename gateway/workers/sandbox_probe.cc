#include "gateway/workers/sandbox_probe.h"

#include <unistd.h>

namespace toolgate {
namespace {

SandboxStep try_step(WorkerPool& pool, const char* name, const char* what, SandboxSpec spec) {
  WorkOrder o;
  o.argv = {"/bin/true"};
  o.env = {{"PATH", "/usr/bin:/bin"}};
  o.limits.timeout_ms = 10000;
  o.sandbox = spec;
  WorkResult r = pool.run(o, nullptr, nullptr, /*prewarm=*/false);
  SandboxStep s{name, what, r.outcome == Outcome::ok, ""};
  if (!s.ok) {
    s.detail = r.detail.empty() ? r.stderr_tail : r.detail;
    if (s.detail.empty()) s.detail = std::string(to_string(r.outcome));
    while (!s.detail.empty() && s.detail.back() == '\n') s.detail.pop_back();
  }
  return s;
}

}  // namespace

bool SandboxSupport::all_ok() const {
  for (auto& s : steps)
    if (!s.ok) return false;
  return true;
}

SandboxSupport probe_sandbox(WorkerPool& pool, const SandboxConfig& cfg) {
  SandboxSupport sup;
  sup.user_namespace = ::geteuid() != 0;
  SandboxSpec base;
  base.uid = cfg.uid;
  base.gid = cfg.gid;
  base.tmp_mb = cfg.tmp_mb;
  base.user_namespace = sup.user_namespace;
  base.cgroup_name = "toolgate-probe-" + std::to_string(::getpid());

  SandboxSpec ns = base;
  ns.namespaces = true;
  sup.steps.push_back(
      try_step(pool, "namespaces",
               "new pid, mount, ipc, uts and net namespaces; minimal read-only root, "
               "own /proc, private /tmp, no network",
               ns));
  SandboxSpec id = base;
  id.drop_identity = true;
  id.namespaces = sup.user_namespace;  // without root, identity needs the user namespace
  sup.steps.push_back(try_step(pool, "identity",
                               sup.user_namespace
                                   ? "user namespace; unprivileged uid/gid; no capabilities"
                                   : "unprivileged uid/gid; no capabilities; no_new_privs",
                               id));
  SandboxSpec sc = base;
  sc.seccomp = true;
  sup.steps.push_back(try_step(pool, "seccomp",
                               "syscall deny-list (ptrace, mount, unshare, bpf, io_uring, ...); "
                               "AF_UNIX sockets only without egress",
                               sc));
  SandboxSpec cg = base;
  cg.cgroups = true;
  sup.steps.push_back(try_step(
      pool, "cgroups", "per-call memory and process caps; the whole tree is killed as one", cg));
  sup.namespaces = sup.steps[0].ok;
  sup.drop_identity = sup.steps[1].ok;
  sup.seccomp = sup.steps[2].ok;
  sup.cgroups = sup.steps[3].ok;
  return sup;
}

SandboxSpec base_sandbox(const SandboxSupport& sup, const SandboxConfig& cfg) {
  SandboxSpec s;
  if (!cfg.enabled) return s;
  s.namespaces = sup.namespaces;
  // Without root, the identity switch happens inside the user namespace.
  s.drop_identity = sup.drop_identity && (sup.namespaces || !sup.user_namespace);
  s.user_namespace = sup.user_namespace;
  s.seccomp = sup.seccomp;
  s.seccomp_kill = cfg.seccomp_kill;
  s.cgroups = sup.cgroups;
  s.uid = cfg.uid;
  s.gid = cfg.gid;
  s.tmp_mb = cfg.tmp_mb;
  s.cgroup_name = "toolgate-" + std::to_string(::getpid());
  return s;
}

}  // namespace toolgate
