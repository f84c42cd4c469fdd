// The tool's syscall filter (worker/sandbox/seccomp_filter.cc): the rule
// table as data, and the loaded filter's effect in a child process.
#include <doctest/doctest.h>

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>

#include "worker/sandbox/seccomp_filter.h"

using namespace toolgate::worker;
using Action = SeccompRule::Action;
using Arg0 = SeccompRule::Arg0;

namespace {

bool has(const std::vector<SeccompRule>& rules, const std::string& sc, Action a,
         Arg0 arg0 = Arg0::none, uint64_t value = 0) {
  return std::any_of(rules.begin(), rules.end(), [&](const SeccompRule& r) {
    return r.syscall == sc && r.action == a && r.arg0 == arg0 && r.value == value;
  });
}

bool mentions(const std::vector<SeccompRule>& rules, const std::string& sc) {
  return std::any_of(rules.begin(), rules.end(),
                     [&](const SeccompRule& r) { return r.syscall == sc; });
}

// Runs `probe` in a child under the filter; returns its wait status. The
// probe's return value becomes the exit code (an errno, or 0).
int under_filter(bool allow_inet, bool kill, const std::function<int()>& probe) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (load_seccomp_filter(allow_inet, kill) != 0) ::_exit(250);
    ::_exit(probe());
  }
  int st = 0;
  ::waitpid(pid, &st, 0);
  return st;
}

int errno_of(long rc) { return rc < 0 ? errno : 0; }

}  // namespace

TEST_CASE("the table denies debugging, mounting, namespaces and kernel surface") {
  auto rules = seccomp_rules(false);
  for (const char* sc : {"ptrace",
                         "process_vm_readv",
                         "mount",
                         "umount2",
                         "pivot_root",
                         "chroot",
                         "unshare",
                         "setns",
                         "bpf",
                         "perf_event_open",
                         "keyctl",
                         "kexec_load",
                         "init_module",
                         "userfaultfd",
                         "io_uring_setup",
                         "io_uring_enter",
                         "open_by_handle_at",
                         "fsopen",
                         "move_mount",
                         "pidfd_getfd",
                         "kcmp",
                         "syslog",
                         "reboot"}) {
    CAPTURE(sc);
    CHECK(has(rules, sc, Action::deny));
  }
  // Only personality's query is allowed.
  CHECK(has(rules, "personality", Action::deny, Arg0::ne, 0xffffffffu));
  // clone with any namespace flag is denied; clone3 hides its flags, so ENOSYS.
  for (uint64_t flag : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC,
                        CLONE_NEWUTS, CLONE_NEWCGROUP}) {
    CAPTURE(flag);
    CHECK(has(rules, "clone", Action::deny, Arg0::masked_eq, flag));
  }
  CHECK(has(rules, "clone3", Action::enosys));
  // Everyday syscalls are not in it at all.
  for (const char* sc : {"read", "write", "openat", "execve", "mmap", "fork", "kill", "connect"}) {
    CAPTURE(sc);
    CHECK_FALSE(mentions(rules, sc));
  }
}

TEST_CASE("socket families: AF_UNIX always, AF_INET and AF_INET6 only with egress") {
  for (const char* sc : {"socket", "socketpair"}) {
    CAPTURE(sc);
    auto closed = seccomp_rules(false);
    CHECK_FALSE(has(closed, sc, Action::no_family, Arg0::eq, AF_UNIX));
    CHECK(has(closed, sc, Action::no_family, Arg0::eq, AF_INET));
    CHECK(has(closed, sc, Action::no_family, Arg0::eq, AF_INET6));
    CHECK(has(closed, sc, Action::no_family, Arg0::eq, AF_NETLINK));
    CHECK(has(closed, sc, Action::no_family, Arg0::eq, AF_PACKET));
    CHECK(has(closed, sc, Action::no_family, Arg0::gt, AF_MAX));
    auto open = seccomp_rules(true);
    CHECK_FALSE(has(open, sc, Action::no_family, Arg0::eq, AF_INET));
    CHECK_FALSE(has(open, sc, Action::no_family, Arg0::eq, AF_INET6));
    CHECK(has(open, sc, Action::no_family, Arg0::eq, AF_NETLINK));
  }
}

TEST_CASE("a denied syscall fails with EPERM, or kills with seccomp_action kill") {
  CHECK(seccomp_action(Action::deny, false) == SCMP_ACT_ERRNO(EPERM));
  CHECK(seccomp_action(Action::deny, true) == SCMP_ACT_KILL_PROCESS);
  // Only denials kill: the fallbacks stay errors either way.
  CHECK(seccomp_action(Action::enosys, true) == SCMP_ACT_ERRNO(ENOSYS));
  CHECK(seccomp_action(Action::no_family, true) == SCMP_ACT_ERRNO(EAFNOSUPPORT));
}

TEST_CASE("every denied syscall name is known to libseccomp") {
  // A misspelt name would be skipped as "not on this architecture". (One
  // that exists elsewhere only, such as umount on x86_64, resolves to a
  // negative pseudo number, which libseccomp accepts and ignores.)
  for (const SeccompRule& r : seccomp_rules(false)) {
    CAPTURE(r.syscall);
    CHECK(seccomp_syscall_resolve_name(r.syscall.c_str()) != __NR_SCMP_ERROR);
  }
  CHECK(seccomp_syscall_resolve_name("ptrace_typo") == __NR_SCMP_ERROR);
}

TEST_CASE("the loaded filter: EPERM, ENOSYS and EAFNOSUPPORT where the table says") {
  // unshare(0) changes nothing and is allowed without the filter.
  CHECK(WEXITSTATUS(under_filter(false, false, [] { return errno_of(::unshare(0)); })) == EPERM);
  CHECK(WEXITSTATUS(under_filter(
            false, false, [] { return errno_of(::syscall(SYS_clone3, nullptr, 0)); })) == ENOSYS);
  CHECK(WEXITSTATUS(under_filter(false, false, [] {
          int fd = ::socket(AF_INET, SOCK_STREAM, 0);
          return fd < 0 ? errno : 0;
        })) == EAFNOSUPPORT);
  CHECK(WEXITSTATUS(under_filter(true, false, [] {
          int fd = ::socket(AF_INET, SOCK_STREAM, 0);
          return fd < 0 ? errno : 0;
        })) == 0);
  CHECK(WEXITSTATUS(under_filter(false, false, [] {
          int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
          return fd < 0 ? errno : 0;
        })) == 0);
  CHECK(WEXITSTATUS(under_filter(false, false, [] {
          return errno_of(::syscall(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */));
        })) == EPERM);
  CHECK(WEXITSTATUS(under_filter(
            false, false, [] { return errno_of(::syscall(SYS_personality, 0xffffffffUL)); })) == 0);
  CHECK(WEXITSTATUS(under_filter(false, false, [] { return errno_of(::getpid()); })) == 0);
}

TEST_CASE("the loaded filter with kill: a denied syscall ends the process with SIGSYS") {
  int st = under_filter(false, true, [] { return errno_of(::unshare(0)); });
  REQUIRE(WIFSIGNALED(st));
  CHECK(WTERMSIG(st) == SIGSYS);
}
