// How a failed start is told apart from a tool that fails: through the real
// worker binary, sandboxed as the gateway sandboxes calls, and through the
// gateway. Only the worker's exec-status pipe says "not started": what a
// tool prints and how it exits never can.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include "gateway/workers/sandbox_probe.h"
#include "gateway/workers/spawn.h"
#include "gateway/workers/worker_pool.h"
#include "harness.h"

using namespace th;
using namespace toolgate;

namespace {

const char* kFakeFailure =
    "echo 'toolgate-worker: exec failed: No such file or directory' >&2; exit 127";

struct SandboxedPool {
  WorkerPool pool{TOOLGATE_WORKER_BIN, 2};
  SandboxSpec spec;
  SandboxedPool() {
    SandboxConfig cfg;
    spec = base_sandbox(probe_sandbox(pool, cfg), cfg);
    spec.cgroup_name = "toolgate-" + std::to_string(::getpid());
  }
  WorkResult run(const std::vector<std::string>& argv) {
    WorkOrder o;
    o.argv = argv;
    o.env = {{"PATH", "/usr/bin:/bin"}};
    o.limits.timeout_ms = 10000;
    o.sandbox = spec;
    for (auto& a : argv)
      if (a[0] == '/') o.sandbox.mounts.push_back({a, false});
    return pool.run(o, nullptr, nullptr, /*prewarm=*/false);
  }
};

}  // namespace

TEST_CASE("worker: a missing executable is spawn_failure with reason exec_failed") {
  SandboxedPool p;
  WorkResult r = p.run({"/nonexistent/tool-binary"});
  CHECK(r.outcome == Outcome::spawn_failure);
  CHECK(r.reason == EndReason::exec_failed);
  CHECK(r.detail.find("exec /nonexistent/tool-binary: No such file or directory") !=
        std::string::npos);
}

TEST_CASE("worker: a tool printing the old marker and exiting 127 is a plain tool_error") {
  SandboxedPool p;
  WorkResult r = p.run({"/bin/sh", "-c", kFakeFailure});
  CHECK(r.outcome == Outcome::tool_error);
  CHECK(r.reason == EndReason::none);
  CHECK(r.exit_code == 127);
  CHECK(r.stderr_tail.find("toolgate-worker: exec failed") != std::string::npos);
}

TEST_CASE("worker: a program that is there but not executable is exec_failed too") {
  TempDir dir;
  std::string file = dir.file("not-executable", "#!/bin/sh\necho hi\n");
  ::chmod(file.c_str(), 0644);
  ::chmod(dir.path.c_str(), 0755);
  SandboxedPool p;
  WorkResult r = p.run({file});
  CHECK(r.outcome == Outcome::spawn_failure);
  CHECK(r.reason == EndReason::exec_failed);
  CHECK(r.detail.find("Permission denied") != std::string::npos);
}

TEST_CASE("gateway: a worker binary that cannot be executed fails at spawn, with its errno") {
  auto s = spawn_worker("/nonexistent/toolgate-worker");
  REQUIRE_FALSE(s);
  CHECK(s.error().message ==
        "cannot execute the worker /nonexistent/toolgate-worker: No such file or directory");
  WorkerPool pool("/nonexistent/toolgate-worker", 1);
  WorkOrder o;
  o.argv = {"/bin/true"};
  WorkResult r = pool.run(o, nullptr, nullptr, /*prewarm=*/false);
  CHECK(r.outcome == Outcome::spawn_failure);
  CHECK(r.reason == EndReason::worker_spawn_failed);
  // The real one still starts.
  auto ok = spawn_worker(TOOLGATE_WORKER_BIN);
  REQUIRE(ok);
  ::close(ok->fd);
  kill_and_reap(ok->pid);
}

TEST_CASE("through the gateway: the fake marker reads as the tool's error, not a failed start") {
  TempDir dir;
  auto gw = Gateway::stdio(dir.file(
      "c.yaml", std::string("sources:\n  - name: t\n    type: script\n    tools:\n"
                            "      - name: fake\n        command: [sh, -c, \"") +
                    kFakeFailure +
                    "\"]\n"
                    "      - name: missing\n        command: [/nonexistent/tool-binary]\n"));
  gw->initialize();
  json fake = gw->roundtrip(call("t__fake"));
  REQUIRE(fake.contains("result"));
  CHECK(fake["result"]["isError"] == true);
  std::string fake_text = fake["result"]["content"][0]["text"];
  CHECK(fake_text.find("could not be started") == std::string::npos);
  CHECK(fake_text.find("toolgate-worker: exec failed") != std::string::npos);
  json missing = gw->roundtrip(call("t__missing"));
  REQUIRE(missing.contains("result"));
  std::string missing_text = missing["result"]["content"][0]["text"];
  CHECK(missing_text.find("could not be started") != std::string::npos);
  CHECK(missing_text.find("No such file or directory") != std::string::npos);
}
