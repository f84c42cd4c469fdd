#include "worker/sandbox/seccomp_filter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>

#include <initializer_list>

namespace toolgate::worker {

int load_seccomp_filter(bool allow_inet, bool kill) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return ENOMEM;
  const uint32_t deny = kill ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ERRNO(EPERM);
  // Debugging and reading other processes; kernel attack surface that no
  // tool needs; anything that changes the sandbox from inside.
  static const char* kDenied[] = {
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
  int rc = 0;
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    if ((rc = seccomp_rule_add(ctx, deny, nr, 0)) != 0) goto out;
  }
  // personality(2): only the query (0xffffffff); no tool needs to change it
  // (ADDR_NO_RANDOMIZE and READ_IMPLIES_EXEC weaken the process).
  if ((rc = seccomp_rule_add(ctx, deny, SCMP_SYS(personality), 1,
                             SCMP_A0(SCMP_CMP_NE, 0xffffffffu))) != 0 &&
      rc != -EEXIST) {
    goto out;
  }
  // New namespaces through clone(2) flags; clone3 hides its flags in memory,
  // so it reports ENOSYS and libc falls back to clone.
  for (unsigned long flag : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
                             CLONE_NEWUTS, CLONE_NEWCGROUP}) {
    if ((rc = seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1,
                               SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag))) != 0) {
      goto out;
    }
  }
  if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) != 0) goto out;
  // Socket families: AF_UNIX always; AF_INET and AF_INET6 only with egress.
  // Anything else (netlink, packet, vsock, ...) fails as unsupported.
  // (libseccomp allows one comparison per argument and rule, hence a rule
  // per family.)
  for (int sc : {SCMP_SYS(socket), SCMP_SYS(socketpair)}) {
    const uint32_t no_family = SCMP_ACT_ERRNO(EAFNOSUPPORT);
    for (int family = 0; family <= AF_MAX; ++family) {
      bool allowed = family == AF_UNIX || (allow_inet && (family == AF_INET || family == AF_INET6));
      if (allowed) continue;
      if ((rc = seccomp_rule_add(ctx, no_family, sc, 1, SCMP_A0(SCMP_CMP_EQ, family))) != 0)
        goto out;
    }
    if ((rc = seccomp_rule_add(ctx, no_family, sc, 1, SCMP_A0(SCMP_CMP_GT, AF_MAX))) != 0) goto out;
  }
  rc = seccomp_load(ctx);
out:
  seccomp_release(ctx);
  return rc < 0 ? -rc : rc;
}

}  // namespace toolgate::worker
