// How the worker learns that a tool never started: the exec-status pipe
// (worker/sandbox/contain.h), and run_exec's use of it. Without a sandbox,
// in this process: prepare_child clones a child that waits for its exec.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "worker/exec_runner.h"
#include "worker/sandbox/contain.h"

using namespace toolgate;
using namespace toolgate::worker;

namespace {

// A frame socket that stays quiet for the whole call: run_exec takes any
// activity on it for the gateway going away.
struct QuietGateway {
  int sv[2] = {-1, -1};
  QuietGateway() {
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    set_broker_fd(sv[0]);
    ::signal(SIGPIPE, SIG_IGN);  // as the worker does: a dead child's pipe is EPIPE
  }
  ~QuietGateway() {
    ::close(sv[0]);
    ::close(sv[1]);
  }
};

WorkResult run(const std::vector<std::string>& argv, const std::string& cwd = "") {
  WorkOrder o;
  o.argv = argv;
  o.env = {{"PATH", "/usr/bin:/bin"}};
  o.cwd = cwd;
  o.limits.timeout_ms = 10000;
  auto pc = prepare_child(o);
  REQUIRE(pc->pid > 0);
  return run_exec(o, *pc);
}

}  // namespace

TEST_CASE("a StepFailure written by a child reads back whole, EOF reads as none") {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) report_step_failure(p[1], StepFailure::setup, "pivot_root", EPERM);
  ::close(p[1]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  auto f = read_step_failure(p[0]);
  REQUIRE(f);
  CHECK(f->kind == StepFailure::setup);
  CHECK(f->err == EPERM);
  CHECK(std::string(f->step) == "pivot_root");
  CHECK_FALSE(read_step_failure(p[0]));  // one record only, then EOF
  ::close(p[0]);
}

TEST_CASE("a successful exec closes the close-on-exec write end: the worker reads EOF") {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execl("/bin/true", "true", nullptr);
    report_step_failure(p[1], StepFailure::exec, "exec", errno);
  }
  ::close(p[1]);
  ::waitpid(pid, nullptr, 0);
  CHECK_FALSE(read_step_failure(p[0]));
  ::close(p[0]);
}

TEST_CASE("something on the pipe that is not a whole record is not a failure") {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
  REQUIRE(::write(p[1], "short", 5) == 5);
  CHECK_FALSE(read_step_failure(p[0]));
  StepFailure bogus;
  bogus.kind = 7;
  REQUIRE(::write(p[1], &bogus, sizeof bogus) == ssize_t(sizeof bogus));
  CHECK_FALSE(read_step_failure(p[0]));
  ::close(p[0]);
  ::close(p[1]);
  CHECK_FALSE(read_step_failure(-1));
}

TEST_CASE("run_exec: a missing executable is spawn_failure with reason exec_failed") {
  QuietGateway gw;
  WorkResult r = run({"/nonexistent/tool-binary"});
  CHECK(r.outcome == Outcome::spawn_failure);
  CHECK(r.reason == EndReason::exec_failed);
  CHECK(r.detail == "exec /nonexistent/tool-binary: No such file or directory");
  CHECK(r.stderr_tail.empty());  // nothing is said on the tool's stderr
}

TEST_CASE("run_exec: a tool faking the old failure marker is a plain tool_error") {
  QuietGateway gw;
  WorkResult r = run({"/bin/sh", "-c",
                      "echo 'toolgate-worker: exec failed: No such file or directory' >&2; "
                      "exit 127"});
  CHECK(r.outcome == Outcome::tool_error);
  CHECK(r.reason == EndReason::none);
  CHECK(r.exit_code == 127);
  CHECK(r.stderr_tail.find("toolgate-worker: exec failed") != std::string::npos);
  CHECK(r.detail.empty());
}

TEST_CASE("run_exec: a failed containment step is setup_failed and names the step") {
  QuietGateway gw;
  WorkResult r = run({"/bin/true"}, "/nonexistent-cwd-for-toolgate-test");
  CHECK(r.outcome == Outcome::spawn_failure);
  CHECK(r.reason == EndReason::setup_failed);
  CHECK(r.detail == "chdir: No such file or directory");
}

TEST_CASE("run_exec: a tool that runs is ok, with its output parsed") {
  QuietGateway gw;
  WorkResult r = run({"/bin/sh", "-c", "echo '{\"n\": 1}'"});
  CHECK(r.outcome == Outcome::ok);
  CHECK(r.reason == EndReason::none);
  CHECK(r.stdout_is_json);
  CHECK(r.stdout_json == json{{"n", 1}});
}
