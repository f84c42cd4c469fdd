#include "worker/sandbox/seccomp_filter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>

namespace toolgate::worker {
namespace {

// Debugging and reading other processes; kernel attack surface that no
// tool needs; anything that changes the sandbox from inside.
constexpr const char* kDenied[] = {
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "bpf",
    "perf_event_open",
    "keyctl",
    "add_key",
    "request_key",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "acct",
    "swapon",
    "swapoff",
    "reboot",
    "open_by_handle_at",
    "name_to_handle_at",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "quotactl",
    "lookup_dcookie",
    "vhangup",
    "syslog",
    "mount_setattr",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "pidfd_getfd",
    "kcmp",
};

scmp_arg_cmp arg0_of(const SeccompRule& r) {
  switch (r.arg0) {
    case SeccompRule::Arg0::ne:
      return SCMP_A0(SCMP_CMP_NE, r.value);
    case SeccompRule::Arg0::masked_eq:
      return SCMP_A0(SCMP_CMP_MASKED_EQ, r.value, r.value);
    case SeccompRule::Arg0::eq:
      return SCMP_A0(SCMP_CMP_EQ, r.value);
    case SeccompRule::Arg0::gt:
    case SeccompRule::Arg0::none:
      break;
  }
  return SCMP_A0(SCMP_CMP_GT, r.value);
}

}  // namespace

std::vector<SeccompRule> seccomp_rules(bool allow_inet) {
  using A = SeccompRule::Action;
  using C = SeccompRule::Arg0;
  std::vector<SeccompRule> rules;
  for (const char* name : kDenied) rules.push_back({name, A::deny});
  // personality(2): only the query (0xffffffff); no tool needs to change it
  // (ADDR_NO_RANDOMIZE and READ_IMPLIES_EXEC weaken the process).
  rules.push_back({"personality", A::deny, C::ne, 0xffffffffu});
  // New namespaces through clone(2) flags; clone3 hides its flags in memory,
  // so it reports ENOSYS and libc falls back to clone.
  for (uint64_t flag : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
                        CLONE_NEWUTS, CLONE_NEWCGROUP})
    rules.push_back({"clone", A::deny, C::masked_eq, flag});
  rules.push_back({"clone3", A::enosys});
  // Socket families: AF_UNIX always; AF_INET and AF_INET6 only with egress.
  // Anything else (netlink, packet, vsock, ...) fails as unsupported.
  // (libseccomp allows one comparison per argument and rule, hence a rule
  // per family.)
  for (const char* sc : {"socket", "socketpair"}) {
    for (int family = 0; family <= AF_MAX; ++family) {
      bool allowed = family == AF_UNIX || (allow_inet && (family == AF_INET || family == AF_INET6));
      if (!allowed) rules.push_back({sc, A::no_family, C::eq, uint64_t(family)});
    }
    rules.push_back({sc, A::no_family, C::gt, uint64_t(AF_MAX)});
  }
  return rules;
}

uint32_t seccomp_action(SeccompRule::Action action, bool kill) {
  switch (action) {
    case SeccompRule::Action::enosys:
      return SCMP_ACT_ERRNO(ENOSYS);
    case SeccompRule::Action::no_family:
      return SCMP_ACT_ERRNO(EAFNOSUPPORT);
    case SeccompRule::Action::deny:
      break;
  }
  return kill ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ERRNO(EPERM);
}

int load_seccomp_filter(bool allow_inet, bool kill) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return ENOMEM;
  int rc = 0;
  for (const SeccompRule& r : seccomp_rules(allow_inet)) {
    int nr = seccomp_syscall_resolve_name(r.syscall.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    const uint32_t action = seccomp_action(r.action, kill);
    rc = r.arg0 == SeccompRule::Arg0::none ? seccomp_rule_add(ctx, action, nr, 0)
                                           : seccomp_rule_add(ctx, action, nr, 1, arg0_of(r));
    // personality's rule may meet one libseccomp already holds.
    if (rc == -EEXIST && r.syscall == "personality") rc = 0;
    if (rc != 0) break;
  }
  if (rc == 0) rc = seccomp_load(ctx);
  seccomp_release(ctx);
  return rc < 0 ? -rc : rc;
}

}  // namespace toolgate::worker
