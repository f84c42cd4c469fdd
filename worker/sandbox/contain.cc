#include "worker/sandbox/contain.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <initializer_list>

#include "worker/sandbox/sandbox_fs.h"
#include "worker/sandbox/seccomp_filter.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif

namespace toolgate::worker {
namespace {

// A sanitizer build (scripts/test.sh --sanitize) runs ASan code in the
// contained process up to its exec, and ASan maps terabytes of shadow
// memory: under an address-space or data limit its next allocation fails.
// There the call's memory is capped by its cgroup alone. Release builds
// always set both limits.
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
constexpr bool kAddressSanitized = true;
#else
constexpr bool kAddressSanitized = false;
#endif

int set_limit(int resource, uint64_t value) {
  rlimit rl{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  return ::setrlimit(resource, &rl) == 0 ? 0 : errno;
}

int move_fd(int from, int to) {
  if (from == to) {
    int fl = ::fcntl(from, F_GETFD);
    return (fl >= 0 && ::fcntl(from, F_SETFD, fl & ~FD_CLOEXEC) == 0) ? 0 : errno;
  }
  return ::dup2(from, to) >= 0 ? 0 : errno;
}

// Moves each descriptor below `min` up to a free number >= `min` (the copy
// is close-on-exec; the original is left for the dup2 that reuses its slot
// or for close_fds_from), so that dup2 onto 3, 4 and 5 never overwrites a
// descriptor that still has to be moved.
int lift_fds(std::initializer_list<int*> fds, int min) {
  for (int* fd : fds) {
    if (*fd < 0 || *fd >= min) continue;
    int up = ::fcntl(*fd, F_DUPFD_CLOEXEC, min);
    if (up < 0) return errno;
    *fd = up;
  }
  return 0;
}

int close_fds_from(int first) {
  if (::syscall(SYS_close_range, first, ~0U, 0) == 0) return 0;
  for (int fd = first; fd < 65536; ++fd) ::close(fd);
  return 0;
}

int reset_signals() {
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) return errno;
  for (int s = 1; s < NSIG; ++s) ::signal(s, SIG_DFL);
  return 0;
}

// Blocks until the worker has put us in our cgroup (and written our uid
// map); EOF without the byte means the worker gave up.
int wait_for_go(int fd) {
  char c;
  ssize_t n;
  while ((n = ::read(fd, &c, 1)) < 0 && errno == EINTR) {
  }
  return n == 1 ? 0 : ECANCELED;
}

int drop_bounding_set() {
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return errno;
  }
  return ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0 || errno == EINVAL ? 0
                                                                                            : errno;
}

int switch_identity(uid_t uid, gid_t gid, bool in_user_ns) {
  // In a user namespace made without privilege, setgroups is disabled (the
  // worker wrote "deny"), and there are no supplementary groups to drop.
  if (!in_user_ns && ::setgroups(0, nullptr) != 0) return errno;
  if (::setresgid(gid, gid, gid) != 0) return errno;
  if (::setresuid(uid, uid, uid) != 0) return errno;
  return 0;
}

// Belt and braces after the uid switch: no capability may remain.
int clear_capabilities() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  return ::syscall(SYS_capset, &hdr, data) == 0 ? 0 : errno;
}

int loopback_only_network() {
  // A new network namespace has only a downed loopback and no route
  // anywhere; there is nothing to set up, which is the point.
  return 0;
}

uint64_t mb(uint64_t v) { return v * 1024 * 1024; }

}  // namespace

int clone_flags(const SandboxSpec& s) {
  if (!s.namespaces) return 0;
  int f = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
  if (s.user_namespace) f |= CLONE_NEWUSER;
  return f;
}

int contain_tool_process(const WorkOrder& order, ChildFds* fds, const char** failed_step) {
  const Limits& l = order.limits;
  const SandboxSpec& sb = order.sandbox;
  int rc = 0;
  uint64_t cpu = l.cpu_seconds ? l.cpu_seconds : (l.timeout_ms + 999) / 1000 + 1;
  uint64_t as = l.address_space_mb ? l.address_space_mb
                                   : (l.memory_mb * 8ull < 4096 ? 4096 : l.memory_mb * 8ull);
  const char* cwd = order.cwd.empty() ? nullptr : order.cwd.c_str();
#define STEP(name, expr)    \
  if ((rc = (expr)) != 0) { \
    *failed_step = name;    \
    return rc;              \
  }
  // --- process plumbing
  STEP("setpgid", ::setpgid(0, 0) == 0 ? 0 : errno);
  STEP("pdeathsig", ::prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 ? 0 : errno);
  STEP("wait_for_cgroup", wait_for_go(fds->go));
  // stdin/stdout/stderr first: the pipes' own numbers may be 3 to 5, which
  // the go pipe (fd 3: the exec request arrives there after this recipe),
  // the broker socket (fd 4) and the exec-status pipe (fd 5) take next.
  STEP("stdin", move_fd(fds->in, 0));
  STEP("stdout", move_fd(fds->out, 1));
  STEP("stderr", move_fd(fds->err, 2));
  STEP("lift_fds", lift_fds({&fds->go, &fds->broker, &fds->status}, kExecStatusFd + 1));
  STEP("exec_request_fd", ::dup2(fds->go, 3) == 3 ? 0 : errno);
  STEP("broker_fd", ::dup2(fds->broker, 4) == 4 ? 0 : errno);
  STEP("exec_status_fd", ::dup2(fds->status, kExecStatusFd) == kExecStatusFd ? 0 : errno);
  fds->status = kExecStatusFd;
  STEP("close_fds", close_fds_from(kExecStatusFd + 1));
  STEP("exec_request_cloexec", ::fcntl(3, F_SETFD, FD_CLOEXEC) == 0 ? 0 : errno);
  STEP("broker_cloexec", ::fcntl(4, F_SETFD, FD_CLOEXEC) == 0 ? 0 : errno);
  STEP("exec_status_cloexec", ::fcntl(kExecStatusFd, F_SETFD, FD_CLOEXEC) == 0 ? 0 : errno);
  // --- namespaces (created by clone): pid, mount, ipc, uts, net [, user]
  if (sb.namespaces) {
    STEP("hostname", ::sethostname("toolgate", 8) == 0 ? 0 : errno);
    STEP("network", loopback_only_network());
    // --- filesystem: tmpfs root, read-only binds, new /proc, private /tmp
    STEP("filesystem", enter_minimal_root(sb, sandbox_staging_dir(), failed_step));
  }
  STEP("chdir", (cwd && ::chdir(cwd) != 0) ? errno : 0);
  // --- resources
  STEP("rlimit_core", set_limit(RLIMIT_CORE, 0));
  STEP("rlimit_cpu", set_limit(RLIMIT_CPU, cpu));
  if (!kAddressSanitized) {
    STEP("rlimit_data", set_limit(RLIMIT_DATA, mb(l.memory_mb)));
    STEP("rlimit_as", set_limit(RLIMIT_AS, mb(as)));
  }
  STEP("rlimit_fsize", set_limit(RLIMIT_FSIZE, mb(l.max_file_mb)));
  STEP("rlimit_nofile", set_limit(RLIMIT_NOFILE, l.max_open_files));
  STEP("rlimit_nproc", set_limit(RLIMIT_NPROC, l.max_processes));
  // --- identity: unprivileged uid/gid, no capabilities, no way back
  if (sb.drop_identity) {
    STEP("drop_bounding_set", drop_bounding_set());
    STEP("switch_identity", switch_identity(sb.uid, sb.gid, sb.user_namespace));
    // A new uid or gid clears the parent-death signal: set it again, or a
    // tool whose worker is killed outlives it.
    STEP("pdeathsig_again", ::prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 ? 0 : errno);
    STEP("clear_capabilities", clear_capabilities());
  }
  STEP("no_new_privs", ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : errno);
  // --- syscall filter, last: the steps above need mount, setuid and friends
  if (sb.seccomp) STEP("seccomp", load_seccomp_filter(sb.egress, sb.seccomp_kill));
  STEP("signals", reset_signals());
#undef STEP
  return 0;
}

void report_step_failure(int fd, StepFailure::Kind kind, const char* step, int err) {
  StepFailure f;
  f.kind = kind;
  f.err = err;
  std::strncpy(f.step, step ? step : "", sizeof f.step - 1);
  // One write of 32 bytes to a pipe is atomic; if it fails there is nobody
  // to tell, and the worker then sees only the exit.
  ssize_t w = ::write(fd, &f, sizeof f);
  (void)w;
  ::_exit(127);
}

std::optional<StepFailure> read_step_failure(int fd) {
  if (fd < 0) return std::nullopt;
  StepFailure f;
  ssize_t n;
  while ((n = ::read(fd, &f, sizeof f)) < 0 && errno == EINTR) {
  }
  if (n != ssize_t(sizeof f)) return std::nullopt;  // EOF: the exec succeeded
  if (f.kind != StepFailure::setup && f.kind != StepFailure::exec) return std::nullopt;
  f.step[sizeof f.step - 1] = '\0';
  for (char* c = f.step; *c; ++c)
    if (*c < 0x21 || *c > 0x7e) *c = '?';
  return f;
}

}  // namespace toolgate::worker
