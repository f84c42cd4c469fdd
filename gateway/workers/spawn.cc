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

namespace {

// The child of vfork: async-signal-safe calls only, touching no memory the
// parent reads afterwards. `status` is the write end of the exec-status
// pipe; a failed execve writes its errno there.
[[noreturn]] void exec_worker(const char* path, char* const* argv, int frame, int broker,
                              int devnull, int status) {
  ::setsid();  // own session and process group
  // No PR_SET_PDEATHSIG: it follows the forking *thread*, and a pooled or
  // prepared worker outlives the thread that started it. The worker
  // instead exits when its frame socket closes, which happens when the
  // gateway process dies, however it dies.
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
  }
  // Above 4, so that the dup2s onto 3 and 4 below cannot overwrite it.
  status = ::fcntl(status, F_DUPFD_CLOEXEC, 5);
  // fd 4 first: the frame socket's end may itself be 4.
  if (broker >= 0) {
    if (frame == 4) frame = ::fcntl(frame, F_DUPFD_CLOEXEC, 5);
    if (broker == 4)
      ::fcntl(4, F_SETFD, 0);
    else
      ::dup2(broker, 4);
  }
  if (frame == 3) {
    ::fcntl(3, F_SETFD, 0);  // dup2(3, 3) would keep close-on-exec
  } else {
    ::dup2(frame, 3);
  }
  // Nothing else leaks in; the exec-status pipe stays until the execve
  // closes it (close-on-exec).
  const int first = broker >= 0 ? 5 : 4;
  if (status < first) {
    ::syscall(SYS_close_range, first, ~0U, 0);  // no pipe: the exit alone will tell
  } else {
    if (status > first) ::syscall(SYS_close_range, first, status - 1, 0);
    ::syscall(SYS_close_range, status + 1, ~0U, 0);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  char* const envp[] = {nullptr};
  ::execve(path, argv, envp);
  int err = errno;
  ssize_t w = ::write(status, &err, sizeof err);
  (void)w;
  ::_exit(127);
}

}  // namespace

Result<SpawnedWorker> spawn_worker(const std::string& worker_path, bool broker_socket) {
  int sv[2], bs[2] = {-1, -1}, ep[2] = {-1, -1};
  auto close_all = [&] {
    for (int fd : {sv[0], sv[1], bs[0], bs[1], ep[0], ep[1]})
      if (fd >= 0) ::close(fd);
  };
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Error{rpc::kInternalError, std::string("socketpair: ") + strerror(errno)};
  }
  if (broker_socket && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, bs) != 0) {
    int e = errno;
    close_all();
    return Error{rpc::kInternalError, std::string("socketpair: ") + strerror(e)};
  }
  if (::pipe2(ep, O_CLOEXEC) != 0) {
    int e = errno;
    close_all();
    return Error{rpc::kInternalError, std::string("pipe: ") + strerror(e)};
  }
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  char arg0[] = "toolgate-worker", arg1[] = "--broker-fd", arg2[] = "4";
  char* const argv_plain[] = {arg0, nullptr};
  char* const argv_broker[] = {arg0, arg1, arg2, nullptr};

  // vfork: the child shares the gateway's memory until its execve, so
  // nothing is copied and no other gateway thread stalls on the address
  // space lock while a worker starts (fork's page-table copy grows with the
  // catalog). The parent resumes once the child has exec'd or exited.
  pid_t pid = ::vfork();
  if (pid == 0) {
    exec_worker(worker_path.c_str(), broker_socket ? argv_broker : argv_plain, sv[1], bs[1],
                devnull, ep[1]);
  }
  int e = errno;
  if (devnull >= 0) ::close(devnull);
  if (pid < 0) {
    close_all();
    return Error{rpc::kInternalError, std::string("fork: ") + strerror(e)};
  }
  // The exec-status pipe decides whether the worker started: EOF once the
  // execve closed the child's end, an errno when it failed. (Only another
  // thread's child, between its own vfork and execve, may hold the end a
  // moment longer.)
  ::close(ep[1]);
  ep[1] = -1;
  int exec_errno = 0;
  ssize_t n;
  while ((n = ::read(ep[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  if (n == ssize_t(sizeof exec_errno)) {
    close_all();
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return Error{rpc::kInternalError,
                 "cannot execute the worker " + worker_path + ": " + strerror(exec_errno)};
  }
  ::close(ep[0]);
  ::close(sv[1]);
  if (bs[1] >= 0) ::close(bs[1]);
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
