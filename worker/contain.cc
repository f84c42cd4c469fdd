#include "contain.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace toolgate::worker {
namespace {

int set_limit(int resource, uint64_t value) {
  rlimit rl{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  return ::setrlimit(resource, &rl) == 0 ? 0 : errno;
}

int move_fd(int from, int to) {
  if (from == to) {
    // Clear FD_CLOEXEC so the descriptor survives exec.
    int fl = ::fcntl(from, F_GETFD);
    return (fl >= 0 && ::fcntl(from, F_SETFD, fl & ~FD_CLOEXEC) == 0) ? 0 : errno;
  }
  return ::dup2(from, to) >= 0 ? 0 : errno;
}

int close_fds_from(int first) {
  // close_range(2) is one syscall; fall back to a loop on old kernels.
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

uint64_t mb(uint64_t v) { return v * 1024 * 1024; }

}  // namespace

int contain_tool_process(const Limits& l, const ChildFds& fds, const char* cwd,
                         const char** failed_step) {
  int rc = 0;
  uint64_t cpu = l.cpu_seconds ? l.cpu_seconds : (l.timeout_ms + 999) / 1000 + 1;
  uint64_t as = l.address_space_mb ? l.address_space_mb
                                   : (l.memory_mb * 8ull < 4096 ? 4096 : l.memory_mb * 8ull);
#define STEP(name, expr)    \
  if ((rc = (expr)) != 0) { \
    *failed_step = name;    \
    return rc;              \
  }
  // 1. Own process group, so the worker can kill the tool and its children at once.
  STEP("setpgid", ::setpgid(0, 0) == 0 ? 0 : errno);
  // 2. Die with the worker, even if the worker is SIGKILLed.
  STEP("pdeathsig", ::prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 ? 0 : errno);
  // 3. stdin/stdout/stderr are the worker's pipes; nothing else is inherited.
  STEP("stdin", move_fd(fds.in, 0));
  STEP("stdout", move_fd(fds.out, 1));
  STEP("stderr", move_fd(fds.err, 2));
  STEP("close_fds", close_fds_from(3));
  // 4. Working directory.
  STEP("chdir", (cwd && *cwd && ::chdir(cwd) != 0) ? errno : 0);
  // 5. Resource limits.
  STEP("rlimit_core", set_limit(RLIMIT_CORE, 0));
  STEP("rlimit_cpu", set_limit(RLIMIT_CPU, cpu));
  STEP("rlimit_data", set_limit(RLIMIT_DATA, mb(l.memory_mb)));
  STEP("rlimit_as", set_limit(RLIMIT_AS, mb(as)));
  STEP("rlimit_fsize", set_limit(RLIMIT_FSIZE, mb(l.max_file_mb)));
  STEP("rlimit_nofile", set_limit(RLIMIT_NOFILE, l.max_open_files));
  STEP("rlimit_nproc", set_limit(RLIMIT_NPROC, l.max_processes));
  // 6. No setuid escalation through exec.
  STEP("no_new_privs", ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : errno);
  // 7. Default signal handling and an empty mask, as a fresh process expects.
  STEP("signals", reset_signals());
#undef STEP
  return 0;
}

}  // namespace toolgate::worker
