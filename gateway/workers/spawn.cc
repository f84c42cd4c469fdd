#include "gateway/workers/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>

namespace toolgate {

std::string default_worker_path() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "toolgate-worker";
  std::string self(buf, size_t(n));
  auto slash = self.rfind('/');
  return self.substr(0, slash + 1) + "toolgate-worker";
}

Result<SpawnedWorker> spawn_worker(const std::string& worker_path, bool broker_socket) {
  int sv[2], bs[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Error{rpc::kInternalError, std::string("socketpair: ") + strerror(errno)};
  }
  if (broker_socket && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, bs) != 0) {
    int e = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    return Error{rpc::kInternalError, std::string("socketpair: ") + strerror(e)};
  }
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  const char* path = worker_path.c_str();
  char arg0[] = "toolgate-worker", arg1[] = "--broker-fd", arg2[] = "4";
  char* const argv_plain[] = {arg0, nullptr};
  char* const argv_broker[] = {arg0, arg1, arg2, nullptr};
  char* const* argv = broker_socket ? argv_broker : argv_plain;
  char* const envp[] = {nullptr};

  // vfork: the child shares the gateway's memory until its execve, so
  // nothing is copied and no other gateway thread stalls on the address
  // space lock while a worker starts (fork's page-table copy grows with the
  // catalog). The child below only makes system calls and touches no
  // memory the parent reads afterwards.
  pid_t pid = ::vfork();
  if (pid < 0) {
    int e = errno;
    for (int fd : {sv[0], sv[1], bs[0], bs[1], devnull})
      if (fd >= 0) ::close(fd);
    return Error{rpc::kInternalError, std::string("fork: ") + strerror(e)};
  }
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    ::setsid();  // own session and process group
    // No PR_SET_PDEATHSIG: it follows the forking *thread*, and a pooled or
    // prepared worker outlives the thread that started it. The worker
    // instead exits when its frame socket closes, which happens when the
    // gateway process dies, however it dies.
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);
    }
    // fd 4 first: the frame socket's end may itself be 4.
    int frame = sv[1];
    if (bs[1] >= 0) {
      if (frame == 4) frame = ::fcntl(frame, F_DUPFD_CLOEXEC, 5);
      if (bs[1] == 4)
        ::fcntl(4, F_SETFD, 0);
      else
        ::dup2(bs[1], 4);
    }
    if (frame == 3) {
      ::fcntl(3, F_SETFD, 0);  // dup2(3, 3) would keep close-on-exec
    } else {
      ::dup2(frame, 3);
    }
    ::syscall(SYS_close_range, bs[1] >= 0 ? 5 : 4, ~0U, 0);  // nothing else leaks in
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(path, argv, envp);
    ::_exit(127);
  }
  ::close(sv[1]);
  if (bs[1] >= 0) ::close(bs[1]);
  if (devnull >= 0) ::close(devnull);
  return SpawnedWorker{pid, sv[0], bs[0]};
}

void kill_and_reap(pid_t pid) {
  if (pid <= 0) return;
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int st;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace toolgate
