// Hostile tools (tests/testcases/redteam.c), each run as a script tool
// through the whole gateway. Every attack must be blocked or contained, the
// gateway must keep answering, and nothing of the tool may survive the call.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "common/proc.h"

#include "harness.h"

using namespace th;

namespace {

// A TCP listener on 127.0.0.1 that counts connections: a tool that reaches
// it has escaped the empty network namespace.
struct Canary {
  int fd = -1;
  uint16_t port = 0;
  std::atomic<int> hits{0};
  std::thread t;
  Canary() {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    REQUIRE(listen(fd, 8) == 0);
    t = std::thread([this] {
      for (;;) {
        int c = accept(fd, nullptr, nullptr);
        if (c < 0) return;
        ++hits;
        close(c);
      }
    });
  }
  ~Canary() {
    shutdown(fd, SHUT_RDWR);
    close(fd);
    t.join();
  }
};

struct RedTeam {
  TempDir dir;
  std::string marker = "tgred" + std::to_string(getpid()) + "x" + std::to_string(rand());
  std::string secret_file = dir.file("secret.txt", "TOP-SECRET-VALUE\n");
  std::string config_path;
  std::unique_ptr<Gateway> gw;

  explicit RedTeam(const std::string& workers = "") {
    std::string tool = testcase("redteam");
    std::string c =
        "sources:\n  - name: r\n    type: script\n    tools:\n"
        "      - name: attack\n        command: [" +
        tool + ", \"-\", \"-\", " + marker +
        "]\n"
        "        input_schema: {type: object}\n"
        "        env: {API_TOKEN: \"${file:" +
        secret_file +
        "}\"}\n"
        "        timeout_ms: 5000\n";
    // One tool per attack/target pair keeps the arguments in the config,
    // where a hostile model could not choose them.
    config_path = dir.path + "/toolgate.yaml";
    body_ = c;
    workers_ = workers;
  }
  void add(const std::string& name, const std::string& attack, const std::string& target,
           const std::string& extra = "") {
    body_ += "      - name: " + name + "\n        command: [" + testcase("redteam") + ", " +
             attack + ", \"" + target + "\", " + marker + "]\n" + extra;
  }
  void start() {
    dir.file("toolgate.yaml", body_ + workers_);
    gw = Gateway::stdio(config_path);
    gw->initialize();
  }
  json run(const std::string& tool) {
    return gw->roundtrip(call("r__" + tool, json::object(), tool));
  }
  void check_blocked(const std::string& tool) {
    CAPTURE(tool);
    json r = run(tool);
    REQUIRE_MESSAGE(r.contains("result"), r.dump());
    INFO("result: " << r["result"].dump());
    CHECK(r["result"]["structuredContent"]["blocked"] == true);
  }
  void check_clean() {
    CHECK(gw->roundtrip(request("ping", nullptr, "alive"))["result"] == json::object());
    CHECK(wait_no_procs_with(marker, 3000) == 0);
  }

 private:
  std::string body_, workers_;
};

// Whether the gateway puts calls in cgroups on this host (doctor says).
// A host without usable cgroups skips the cgroup checks, loudly, and under
// CI=true that is a failure: CI hosts are expected to have them.
bool cgroups_in_use() {
  json j = json::parse(run("doctor --json").out);
  for (auto& s : j["steps"]) {
    if (s["step"] != "cgroups" || s["active"] == true) continue;
    const char* ci = std::getenv("CI");
    MESSAGE("SKIPPED: cgroups are unavailable here: " << s["reason"].get<std::string>());
    if (ci && std::string(ci) == "true") FAIL_CHECK("cgroups must be available under CI=true");
    return false;
  }
  return true;
}

}  // namespace

TEST_CASE("redteam: secrets, the gateway's config and other processes are out of reach") {
  RedTeam rt;
  std::string gw_pid_placeholder = "GWPID";
  rt.add("read_config", "read", rt.config_path);
  rt.add("read_secret", "read", rt.secret_file);
  rt.add("read_shadow", "read", "/etc/shadow");
  rt.add("read_ssl_private", "read", "/etc/ssl/private");
  rt.add("read_host_proc_1", "proc1_environ", "-");
  rt.start();
  rt.check_blocked("read_config");
  rt.check_blocked("read_secret");
  rt.check_blocked("read_shadow");
  rt.check_blocked("read_ssl_private");
  // In its own pid namespace the tool is pid 1: /proc/1 is itself, and the
  // host's pid 1 and the gateway are invisible (checked below by pid).
  rt.check_blocked("read_host_proc_1");
  CHECK(rt.run("read_host_proc_1")["result"]["structuredContent"]["detail"] ==
        "pid 1 is the tool itself");
  rt.check_clean();
}

TEST_CASE("redteam: the gateway process cannot be seen, signalled or traced") {
  RedTeam rt;
  // The gateway's pid is only known once it runs: a first gateway tells us
  // which pid the second will not be able to touch.
  auto probe_gw = Gateway::stdio(rt.dir.file("probe.yaml", "sources: []\n"));
  std::string pid = std::to_string(probe_gw->pid());
  std::string me = std::to_string(getpid());
  rt.add("environ_of_gateway", "read", "/proc/" + pid + "/environ");
  rt.add("see_gateway", "proc_of", pid);
  rt.add("see_test_runner", "proc_of", me);
  rt.add("kill_gateway", "kill", pid);
  rt.add("kill_test_runner", "kill", me);
  rt.add("ptrace_parent", "ptrace_parent", "-");
  rt.start();
  for (const char* t : {"environ_of_gateway", "see_gateway", "see_test_runner", "kill_gateway",
                        "kill_test_runner", "ptrace_parent"}) {
    rt.check_blocked(t);
  }
  CHECK(kill(probe_gw->pid(), 0) == 0);  // still alive
  rt.check_clean();
}

TEST_CASE("redteam: mount, unshare, setns, bpf and io_uring are refused") {
  RedTeam rt;
  for (const char* a : {"mount", "unshare", "setns", "bpf", "io_uring"}) rt.add(a, a, "-");
  rt.start();
  for (const char* a : {"mount", "unshare", "setns", "bpf", "io_uring"}) rt.check_blocked(a);
  rt.check_clean();
}

TEST_CASE("redteam: nothing outside /tmp is writable") {
  RedTeam rt;
  rt.add("write_usr", "write", "/usr/owned");
  rt.add("write_etc", "write", "/etc/owned");
  rt.add("write_root", "write", "/owned");
  rt.add("write_config_dir", "write", rt.dir.path + "/owned");
  rt.start();
  for (const char* t : {"write_usr", "write_etc", "write_root", "write_config_dir"})
    rt.check_blocked(t);
  CHECK(access((rt.dir.path + "/owned").c_str(), F_OK) != 0);
  rt.check_clean();
}

TEST_CASE("redteam: no network: a canary on 127.0.0.1 is never reached") {
  Canary canary;
  RedTeam rt;
  rt.add("connect_canary", "connect", std::to_string(canary.port));
  rt.start();
  rt.check_blocked("connect_canary");
  CHECK(canary.hits == 0);
  rt.check_clean();
}

TEST_CASE("redteam: the gateway's own HTTP port is unreachable from a tool") {
  TempDir dir;
  std::string marker = "tgredhttp" + std::to_string(getpid());
  // Start once to learn the port, then add the tool that attacks it.
  auto gw = Gateway::http(dir.file("c.yaml", "sources: []\n"));
  std::string cfg =
      "sources:\n  - name: r\n    type: script\n    tools:\n"
      "      - name: attack\n        command: [" +
      testcase("redteam") + ", connect, \"" + std::to_string(gw->port()) + "\", " + marker + "]\n";
  dir.file("c.yaml", cfg);
  gw->signal(SIGHUP);
  McpHttp mcp(gw->port());
  mcp.initialize();
  json r;
  for (int i = 0; i < 100; ++i) {
    auto reply = mcp.post(call("r__attack"));
    r = reply.body_json;
    if (r.contains("result")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // reload not done yet
  }
  REQUIRE(r.contains("result"));
  CHECK(r["result"]["structuredContent"]["blocked"] == true);
  CHECK(mcp.post(request("ping", nullptr, 2)).status == 200);
}

TEST_CASE("redteam: fork bomb, fd exhaustion and a full /tmp are contained") {
  RedTeam rt("workers:\n  max_processes: 64\n  max_open_files: 128\n  sandbox: {tmp_mb: 8}\n");
  rt.add("fork_bomb", "fork_bomb", "-");
  rt.add("fd_exhaustion", "fd_exhaustion", "-");
  rt.add("fill_tmp", "fill_tmp", "-");
  rt.start();
  json fb = rt.run("fork_bomb");
  CHECK(fb["result"]["structuredContent"]["blocked"] == true);
  json fd = rt.run("fd_exhaustion");
  CHECK(fd["result"]["structuredContent"]["blocked"] == true);
  CHECK(fd["result"]["structuredContent"]["detail"] == "125 fds");  // 128 minus 0, 1, 2
  json tmp = rt.run("fill_tmp");
  CHECK(tmp["result"]["structuredContent"]["blocked"] == true);
  CHECK(tmp["result"]["structuredContent"]["detail"] == "8 MB");
  rt.check_clean();
}

TEST_CASE("redteam: a CPU spin times out and daemons and zombies do not survive") {
  RedTeam rt;
  rt.add("spin", "cpu_spin", "-", "        timeout_ms: 800\n");
  rt.add("escape", "escape", "-");
  rt.add("zombie", "zombie", "-");
  rt.start();
  json spin = rt.run("spin");
  CHECK(spin["result"]["isError"] == true);
  CHECK(spin["result"]["content"][0]["text"].get<std::string>().find("timed out") !=
        std::string::npos);
  CHECK(rt.run("escape")["result"].value("isError", false) == false);
  CHECK(rt.run("zombie")["result"].value("isError", false) == false);
  rt.check_clean();
  CHECK(wait_no_descendants(rt.gw->pid(), 3000) == 0);
}

TEST_CASE("redteam: tools run as an unprivileged user in their own pid namespace") {
  RedTeam rt;
  rt.add("whoami", "whoami", "-");
  rt.start();
  json r = rt.run("whoami");
  CHECK(r["result"]["structuredContent"]["detail"] == "uid=65534 gid=65534 pid=1");
  rt.check_clean();
}

TEST_CASE("redteam: with seccomp_action kill, a denied syscall kills the tool") {
  RedTeam rt("workers:\n  sandbox: {seccomp_action: kill}\n");
  rt.add("mount", "mount", "-");
  rt.start();
  json r = rt.run("mount");
  CHECK(r["result"]["isError"] == true);
  CHECK(r["result"]["content"][0]["text"].get<std::string>().find("SIGSYS") != std::string::npos);
  rt.check_clean();
}

TEST_CASE("doctor's report matches what the gateway enforces on a call") {
  // Not whether this host allows every step (that is the host's business),
  // but whether toolgate tells the truth about it: each step doctor calls
  // active is in force on a real call, and each it calls unavailable is
  // announced by the gateway at startup.
  auto doctor = run("doctor --json");
  json j = json::parse(doctor.out);
  std::map<std::string, bool> active;
  for (auto& s : j["steps"]) {
    CAPTURE(s.dump());
    active[s["step"]] = s["active"] == true;
    if (s["active"] != true) CHECK_FALSE(s["reason"].get<std::string>().empty());
  }
  CHECK(active.size() == 4);
  for (const char* step : {"namespaces", "identity", "seccomp", "cgroups"}) {
    CAPTURE(step);
    CHECK(active.count(step) == 1);
  }
  bool all = true;
  for (auto& [name, on] : active) all = all && on;
  CHECK((doctor.status == 0) == all);

  RedTeam rt;
  rt.add("whoami", "whoami", "-");
  rt.add("seccomp_probe", "seccomp_probe", "-");
  rt.add("cgroup_self", "cgroup_self", "-");
  rt.start();
  json who = rt.run("whoami")["result"]["structuredContent"];
  std::string detail = who.value("detail", "");
  CAPTURE(detail);
  CHECK((detail.find("pid=1") != std::string::npos) == active["namespaces"]);
  CHECK((detail.find("uid=65534 gid=65534") != std::string::npos) == active["identity"]);
  CHECK(rt.run("seccomp_probe")["result"]["structuredContent"]["blocked"] == active["seccomp"]);
  CHECK(rt.run("cgroup_self")["result"]["structuredContent"]["blocked"] == active["cgroups"]);
  std::string log = rt.gw->stderr_text();
  for (auto& [name, on] : active) {
    CAPTURE(name);
    bool announced = log.find("SANDBOX STEP UNAVAILABLE") != std::string::npos &&
                     log.find("\"step\":\"" + name + "\"") != std::string::npos;
    CHECK(announced == !on);
  }
  rt.check_clean();
}

TEST_CASE("every call gets a fresh process and a fresh /tmp, even from prepared workers") {
  TempDir dir;
  auto gw = Gateway::stdio(
      dir.file("c.yaml",
               "sources:\n  - name: s\n    type: script\n    tools:\n"
               "      - name: probe\n        command: [sh, -c, \"if test -e /tmp/seen; then echo "
               "reused; else touch /tmp/seen; echo fresh $$; fi\"]\n"));
  gw->initialize();
  for (int i = 0; i < 6; ++i) {
    json r = gw->roundtrip(call("s__probe", json::object(), i));
    // pid 1: the tool is the first process of its own pid namespace.
    CHECK(r["result"]["content"][0]["text"] == "fresh 1\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // let a worker be prepared
  }
}

TEST_CASE("pooled mode reuses a worker, recycles it, and still runs every call fresh") {
  TempDir dir;
  auto gw = Gateway::stdio(
      dir.file("c.yaml",
               "sources:\n  - name: s\n    type: script\n    tools:\n"
               "      - name: probe\n        command: [sh, -c, \"if test -e /tmp/seen; then echo "
               "reused; else touch /tmp/seen; echo fresh $$; fi\"]\n"
               "workers: {mode: pooled, recycle_after: 3, prespawn: 0}\n"));
  gw->initialize();
  auto call_probe = [&](int id) {
    json r = gw->roundtrip(call("s__probe", json::object(), id));
    CHECK(r["result"]["content"][0]["text"] == "fresh 1\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return worker_children(gw->pid());
  };
  auto after1 = call_probe(1);
  REQUIRE(after1.size() == 1);  // kept for the next call
  auto after2 = call_probe(2);
  CHECK(after2 == after1);  // the same worker served call 2
  auto after3 = call_probe(3);
  CHECK(after3.empty());  // third call: recycled
  auto after4 = call_probe(4);
  REQUIRE(after4.size() == 1);
  CHECK(after4[0] != after1[0]);  // a new worker
}

TEST_CASE("per-call cgroups are removed after every call, killed workers included") {
  RedTeam rt;
  rt.add("whoami", "whoami", "-");
  rt.add("spin", "cpu_spin", "-", "        timeout_ms: 300\n");
  rt.start();
  if (!cgroups_in_use()) return;
  for (int i = 0; i < 3; ++i) rt.run("whoami");
  rt.run("spin");
  rt.gw->send({{"jsonrpc", "2.0"},
               {"id", "cancel-me"},
               {"method", "tools/call"},
               {"params", {{"name", "r__spin"}}}});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  rt.gw->send({{"jsonrpc", "2.0"},
               {"method", "notifications/cancelled"},
               {"params", {{"requestId", "cancel-me"}}}});
  rt.check_clean();
  // No "toolgate-<gateway pid>-w<worker>" may remain for a worker that is
  // gone. Prepared workers waiting for a call legitimately hold one: seeing
  // them proves the scan looks where the call cgroups are.
  const std::string prefix = "toolgate-" + std::to_string(rt.gw->pid()) + "-w";
  const auto parents = toolgate::call_cgroup_parents(
      toolgate::parse_proc_cgroup(read_file("/proc/" + std::to_string(rt.gw->pid()) + "/cgroup")));
  REQUIRE_FALSE(parents.empty());
  int leaked = -1, held = 0;
  for (int attempt = 0; attempt < 100 && (leaked != 0 || held == 0); ++attempt) {
    if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(30));
    leaked = 0;
    held = 0;
    int listed = 0;
    for (const auto& dir : parents) {
      std::error_code ec;
      std::filesystem::directory_iterator it(dir, ec);
      if (ec == std::errc::no_such_file_or_directory) continue;  // a hierarchy not mounted
      REQUIRE_MESSAGE(!ec, "cannot list " << dir << ": " << ec.message());
      ++listed;
      for (auto& e : it) {
        std::string n = e.path().filename().string();
        if (n.rfind(prefix, 0) != 0) continue;
        pid_t worker = pid_t(std::stol(n.substr(prefix.size())));
        ++(kill(worker, 0) == 0 ? held : leaked);
      }
    }
    REQUIRE_MESSAGE(listed > 0, "none of the gateway's cgroup directories exists");
  }
  CHECK(leaked == 0);
  CHECK(held > 0);
}
