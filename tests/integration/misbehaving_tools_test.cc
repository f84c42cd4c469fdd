// Tools that misbehave on purpose (tests/testcases/), run through the real
// gateway over stdio. Each must end with its own outcome, the gateway must
// keep answering, and no process of the tool may survive the call.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <chrono>
#include <future>
#include <set>

#include "harness.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif

using namespace th;

namespace {

std::string tool_entry(const std::string& name, const std::string& cmd_json,
                       const std::string& extra = "") {
  return "      - name: " + name + "\n        command: " + cmd_json + "\n" + extra;
}

// A config with one source "t" holding the misbehaving tools. Each command
// carries a unique marker argument so survivors can be found in /proc.
std::string config(const std::string& marker) {
  auto tc = [&](const std::string& n) { return "[\"" + testcase(n) + "\", \"" + marker + "\"]"; };
  return "sources:\n  - name: t\n    type: script\n    tools:\n" +
         tool_entry("sleep", tc("sleep_forever"), "        timeout_ms: 700\n") +
         tool_entry("sleep_long", tc("sleep_forever"), "        timeout_ms: 60000\n") +
         tool_entry("alloc", tc("alloc_forever"), "        memory_mb: 64\n") +
         tool_entry("flood", tc("write_flood"), "        max_output_bytes: 65536\n") +
         tool_entry("err_flood", tc("stderr_flood"), "        max_output_bytes: 65536\n") +
         tool_entry("segv", tc("segfault")) + tool_entry("forker", tc("fork_and_exit")) +
         tool_entry("early_close", tc("close_stdout_early")) +
         tool_entry("fail", "[sh, -c, \"echo broken pipe dream >&2; exit 3\", " + marker + "]") +
         tool_entry(
             "env", "[sh, -c, \"env | sort\", " + marker + "]",
             "        env: {GREETING: hello}\n        env_allow: [TOOLGATE_TEST_ALLOWED]\n") +
         tool_entry("fds", "[sh, -c, \"ls /proc/self/fd | wc -l\", " + marker + "]") +
         tool_entry("result",
                    "[sh, -c, \"echo "
                    "'{\\\"content\\\":[{\\\"type\\\":\\\"text\\\",\\\"text\\\":\\\"hi\\\"}],"
                    "\\\"isError\\\":true}'\", " +
                        marker + "]") +
         tool_entry("bad_result",
                    "[sh, -c, \"echo '{\\\"content\\\":[{\\\"type\\\":\\\"text\\\"}]}'\", " +
                        marker + "]") +
         tool_entry("missing", "[/nonexistent/tool-binary, " + marker + "]") +
         tool_entry("echo", "[cat]", "        input_schema: {type: object}\n") +
         tool_entry("binary_stderr",
                    "[sh, -c, \"head -c 3000 /dev/zero | tr '\\\\000' '\\\\377' >&2; echo ok\", " +
                        marker + "]") +
         "workers:\n  timeout_ms: 10000\n  max_concurrent: 8\n";
}

std::string text_of(const json& response) {
  REQUIRE(response.contains("result"));
  const json& content = response["result"]["content"];
  REQUIRE(content.is_array());
  REQUIRE(content.size() >= 1);
  return content[0].value("text", "");
}

bool is_error(const json& response) { return response["result"].value("isError", false); }

struct Fixture {
  TempDir dir;
  std::string marker = "tgmark" + std::to_string(getpid()) + "x" + std::to_string(rand());
  std::unique_ptr<Gateway> gw;
  Fixture() {
    setenv("TOOLGATE_TEST_ALLOWED", "allowed-value", 1);
    setenv("TOOLGATE_TEST_SECRET", "must-not-leak", 1);
    gw = Gateway::stdio(dir.file("c.yaml", config(marker)));
    gw->initialize();
  }
  // The gateway still answers, and nothing of the tool is left.
  void check_healthy_and_clean() {
    json pong = gw->roundtrip(request("ping", nullptr, "after"), 5000);
    CHECK(pong["result"] == json::object());
    CHECK(wait_no_procs_with(marker, 3000) == 0);
    // Only the gateway's own threads remain: no worker, no tool, no zombie.
    CHECK(wait_no_descendants(gw->pid(), 3000) == 0);
  }
};

}  // namespace

TEST_CASE("a tool that never finishes times out and is killed") {
  Fixture f;
  json r = f.gw->roundtrip(call("t__sleep"));
  CHECK(is_error(r));
  CHECK(text_of(r).find("timed out after 700 ms") != std::string::npos);
  f.check_healthy_and_clean();
}

TEST_CASE("a tool that allocates without bound hits its memory cap") {
  Fixture f;
  json r = f.gw->roundtrip(call("t__alloc"));
  CHECK(is_error(r));
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
  // A sanitizer build sets no address-space limit in the contained process
  // (worker/sandbox/contain.cc says why); the cgroup alone caps it there.
  MESSAGE("sanitizer build: the rlimit memory cap is not set; got: " << text_of(r));
#else
  CHECK(text_of(r).find("memory limit of 64 MB") != std::string::npos);
#endif
  f.check_healthy_and_clean();
}

TEST_CASE("a tool writing 1 GB to stdout is stopped at the output cap") {
  Fixture f;
  json r = f.gw->roundtrip(call("t__flood"));
  CHECK(is_error(r));
  CHECK(text_of(r).find("exceeded the limit of 65536 bytes") != std::string::npos);
  f.check_healthy_and_clean();
}

TEST_CASE("a tool flooding stderr is stopped at the output cap") {
  Fixture f;
  json r = f.gw->roundtrip(call("t__err_flood"));
  CHECK(is_error(r));
  CHECK(text_of(r).find("exceeded the limit") != std::string::npos);
  f.check_healthy_and_clean();
}

TEST_CASE("a segfaulting tool is reported as a crash") {
  Fixture f;
  json r = f.gw->roundtrip(call("t__segv"));
  CHECK(is_error(r));
  CHECK(text_of(r).find("SIGSEGV") != std::string::npos);
  f.check_healthy_and_clean();
}

TEST_CASE("children, setsid escapees and daemons of a tool do not survive the call") {
  Fixture f;
  json r = f.gw->roundtrip(call("t__forker"));
  CHECK_FALSE(is_error(r));
  CHECK(r["result"]["structuredContent"]["forked"] == 3);
  f.check_healthy_and_clean();
}

TEST_CASE("a tool that closes stdout early returns what it wrote") {
  Fixture f;
  json r = f.gw->roundtrip(call("t__early_close"));
  CHECK_FALSE(is_error(r));
  CHECK(text_of(r) == "{\"partial\": ");
  f.check_healthy_and_clean();
}

TEST_CASE("a non-zero exit is an error carrying the tail of stderr") {
  Fixture f;
  json r = f.gw->roundtrip(call("t__fail"));
  CHECK(is_error(r));
  CHECK(text_of(r).find("exit status 3") != std::string::npos);
  CHECK(text_of(r).find("broken pipe dream") != std::string::npos);
}

TEST_CASE("a tool whose command does not exist is a spawn failure, not a crash") {
  Fixture f;
  json r = f.gw->roundtrip(call("t__missing"));
  CHECK(is_error(r));
  CHECK(text_of(r).find("could not be started") != std::string::npos);
  f.check_healthy_and_clean();
}

TEST_CASE("a tool sees only its explicit environment") {
  Fixture f;
  std::string env = text_of(f.gw->roundtrip(call("t__env")));
  CHECK(env.find("GREETING=hello") != std::string::npos);
  CHECK(env.find("TOOLGATE_TEST_ALLOWED=allowed-value") != std::string::npos);
  CHECK(env.find("TOOLGATE_TOOL=t__env") != std::string::npos);
  CHECK(env.find("PATH=") != std::string::npos);
  CHECK(env.find("must-not-leak") == std::string::npos);
  CHECK(env.find("HOME=") == std::string::npos);
}

TEST_CASE("a tool inherits no file descriptors beyond stdin, stdout and stderr") {
  Fixture f;
  // `ls /proc/self/fd` lists 0, 1, 2 and the directory it is reading; the
  // count is valid JSON, so it comes back as structured content.
  CHECK(f.gw->roundtrip(call("t__fds"))["result"]["structuredContent"]["result"] == 4);
}

TEST_CASE("tool output: CallToolResult passes through, malformed ones are refused") {
  Fixture f;
  json r = f.gw->roundtrip(call("t__result"));
  CHECK(is_error(r));
  CHECK(text_of(r) == "hi");
  json bad = f.gw->roundtrip(call("t__bad_result"));
  CHECK(is_error(bad));
  CHECK(text_of(bad).find("malformed CallToolResult") != std::string::npos);
}

TEST_CASE("arguments reach the tool on stdin as JSON") {
  Fixture f;
  json r = f.gw->roundtrip(call("t__echo", {{"a", 1}, {"b", "two"}}));
  CHECK_FALSE(is_error(r));
  CHECK(r["result"]["structuredContent"] == json({{"a", 1}, {"b", "two"}}));
}

TEST_CASE("the gateway answers other requests while a tool runs") {
  Fixture f;
  f.gw->send(call("t__sleep_long", json::object(), "slow"));
  // Wait until the tool runs: the pings below go out during the call.
  for (int i = 0; i < 500 && count_procs_with(f.marker) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(count_procs_with(f.marker) > 0);
  json pong = f.gw->roundtrip(request("ping", nullptr, "quick"), 5000);
  CHECK(pong["result"] == json::object());
  // Answered while the call still runs (its tool sleeps for a minute):
  // the order of the answers, not a stopwatch, shows it. How fast a ping
  // is answered during a call is bench_call's "ping while a call runs" row.
  auto slow_seen = [&] {
    for (auto& m : f.gw->notifications)
      if (m.value("id", json()) == "slow") return true;
    return false;
  };
  CHECK_FALSE(slow_seen());
  CHECK(count_procs_with(f.marker) > 0);
  CHECK(f.gw->roundtrip(request("ping", nullptr, "later"), 5000).contains("result"));
  CHECK_FALSE(slow_seen());
  // Then the call is cancelled, and leaves nothing behind.
  f.gw->send({{"jsonrpc", "2.0"},
              {"method", "notifications/cancelled"},
              {"params", {{"requestId", "slow"}, {"reason", "done"}}}});
  CHECK(wait_no_procs_with(f.marker, 3000) == 0);
  f.check_healthy_and_clean();
}

TEST_CASE("notifications/cancelled kills the worker and suppresses the response") {
  Fixture f;
  f.gw->send(call("t__sleep_long", json::object(), "c1"));
  // Wait until the tool runs, then cancel it.
  for (int i = 0; i < 200 && count_procs_with(f.marker) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(count_procs_with(f.marker) > 0);
  f.gw->send({{"jsonrpc", "2.0"},
              {"method", "notifications/cancelled"},
              {"params", {{"requestId", "c1"}, {"reason", "user"}}}});
  CHECK(wait_no_procs_with(f.marker, 3000) == 0);
  // The next answer is the ping's: the cancelled call got none.
  f.gw->send(request("ping", nullptr, "p"));
  auto m = f.gw->recv(5000);
  REQUIRE(m);
  CHECK((*m)["id"] == "p");
  f.check_healthy_and_clean();
}

TEST_CASE("many concurrent calls of misbehaving tools leave the gateway healthy") {
  Fixture f;
  const char* tools[] = {"t__segv", "t__fail", "t__forker", "t__flood", "t__echo", "t__sleep"};
  for (int i = 0; i < 12; ++i) f.gw->send(call(tools[i % 6], json::object(), i));
  std::set<int> answered;
  while (answered.size() < 12) {
    auto m = f.gw->recv(15000);
    REQUIRE(m);
    if (m->contains("method")) continue;  // log notifications of failed calls
    INFO("message: " << m->dump());
    CHECK(m->contains("result"));
    answered.insert((*m)["id"].get<int>());
  }
  CHECK(answered.size() == 12);
  f.check_healthy_and_clean();
}

TEST_CASE("SIGTERM of the gateway during a call leaves no tool behind") {
  // Stopping cancels the call, whose worker is killed at once; the tool
  // (dropped to the sandbox uid, which clears a parent-death signal set
  // before) must die with it even though no gateway remains to clean up.
  Fixture f;
  f.gw->send(call("t__sleep_long", json::object(), "long"));
  for (int i = 0; i < 200 && count_procs_with(f.marker) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(count_procs_with(f.marker) > 0);
  f.gw->signal(SIGTERM);
  CHECK(f.gw->wait_exit(10000) >= 0);
  CHECK(wait_no_procs_with(f.marker, 5000) == 0);
}

TEST_CASE("SIGKILL of the gateway leaves no worker and no tool behind") {
  // Orphans of the killed gateway come to this test process, so they can be
  // counted (and would otherwise be lost to init).
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  Fixture f;
  f.gw->send(call("t__sleep_long", json::object(), "long"));
  for (int i = 0; i < 200 && count_procs_with(f.marker) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(count_procs_with(f.marker) > 0);
  f.gw->signal(SIGKILL);
  CHECK(f.gw->wait_exit(5000) == 128 + SIGKILL);
  CHECK(wait_no_procs_with(f.marker, 5000) == 0);
  std::vector<pid_t> left;
  for (int i = 0; i < 250; ++i) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    left = worker_children(getpid());
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(left.empty());
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_CASE("invalid UTF-8 on stderr does not spoil a good answer") {
  Fixture f;
  json r = f.gw->roundtrip(call("t__binary_stderr"));
  CHECK_FALSE(is_error(r));
  CHECK(text_of(r) == "ok\n");
}

TEST_CASE("a second call under an id still in flight is refused") {
  Fixture f;
  f.gw->send(call("t__sleep", json::object(), "dup"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  f.gw->send(call("t__echo", {{"x", 1}}, "dup"));
  // The refusal comes first; the sleeping call's timeout follows.
  auto first = f.gw->recv(5000);
  REQUIRE(first);
  CHECK((*first)["error"]["code"] == -32600);
  bool timed_out = false;
  for (int i = 0; i < 10 && !timed_out; ++i) {
    auto m = f.gw->recv(3000);
    REQUIRE(m);
    timed_out = m->contains("result") && (*m)["id"] == "dup";
  }
  CHECK(timed_out);
}
