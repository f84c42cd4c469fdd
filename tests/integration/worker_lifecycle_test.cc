// Worker lifecycle (gateway/workers/worker_prepare.cc): every way a worker
// ends, killed while prepared or while running, removes its cgroups and
// leaves no process or zombie; a prepared worker that dies is replaced.
#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <set>

#include "common/proc.h"
#include "harness.h"

using namespace th;

namespace {

const char* kConfig =
    "workers: {mode: per_call, prespawn: 2}\n"
    "sources:\n  - name: s\n    type: script\n    tools:\n"
    "      - name: work\n        command: [sh, -c, \"sleep 0.2; echo '{\\\"ok\\\": true}'\"]\n"
    "        input_schema: {type: object}\n";

int zombie_children(pid_t pid) {
  int n = 0;
  for (pid_t c : toolgate::child_pids(pid)) {
    std::string stat = toolgate::read_proc_text("/proc/" + std::to_string(c) + "/stat");
    auto close = stat.rfind(')');
    if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z') ++n;
  }
  return n;
}

// Call cgroups of the gateway's workers ("toolgate-<gateway>-w<worker>")
// whose worker is no longer its child.
std::vector<std::string> orphaned_cgroups(pid_t gateway) {
  std::set<pid_t> live;
  for (pid_t w : worker_children(gateway)) live.insert(w);
  std::string prefix = "toolgate-" + std::to_string(gateway) + "-w";
  std::vector<std::string> out;
  auto lines = toolgate::parse_proc_cgroup(
      toolgate::read_proc_text("/proc/" + std::to_string(gateway) + "/cgroup"));
  for (const auto& root : toolgate::call_cgroup_parents(lines)) {
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(root, ec)) {
      std::string name = e.path().filename().string();
      if (name.rfind(prefix, 0) != 0) continue;
      if (!live.count(pid_t(std::atoi(name.c_str() + prefix.size())))) out.push_back(e.path());
    }
  }
  return out;
}

void kill_workers(pid_t gateway) {
  for (pid_t w : worker_children(gateway)) ::kill(w, SIGKILL);
}

}  // namespace

TEST_CASE("workers: killed while prepared or running, they leave no cgroup or process or zombie") {
  TempDir dir;
  auto gw = Gateway::stdio(dir.file("c.yaml", kConfig));
  gw->initialize();
  int ok = 0, clean_errors = 0;
  for (int i = 0; i < 30; ++i) {
    if (i % 2 == 0) kill_workers(gw->pid());  // the prepared ones
    gw->send(call("s__work", json::object(), i));
    if (i % 3 == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(60));
      kill_workers(gw->pid());  // the running one, and any prepared
    }
    json r;
    while (auto m = gw->recv(15000)) {
      if (m->contains("id") && (*m)["id"] == i) {
        r = *m;
        break;
      }
    }
    REQUIRE_MESSAGE(r.contains("result"), "call " << i << " got " << r.dump());
    if (r["result"].value("isError", false))
      ++clean_errors;
    else
      ++ok;
  }
  CHECK(ok >= 10);  // the calls nobody killed
  CHECK(clean_errors >= 1);
  MESSAGE(ok << " answered, " << clean_errors << " clean errors");
  CHECK(eventually([&] { return zombie_children(gw->pid()) == 0; }, 5000));
  CHECK(wait_no_descendants(gw->pid(), 5000) == 0);
  CHECK(eventually([&] { return orphaned_cgroups(gw->pid()).empty(); }, 5000));
  for (auto& c : orphaned_cgroups(gw->pid())) MESSAGE("left behind: " << c);
  CHECK(gw->roundtrip(request("ping", nullptr, "alive"))["result"] == json::object());
}

TEST_CASE("workers: a prepared worker that dies is reaped and replaced with no call") {
  TempDir dir;
  auto gw = Gateway::stdio(dir.file("c.yaml", kConfig));
  gw->initialize();
  REQUIRE(gw->roundtrip(call("s__work"))["result"].value("isError", false) == false);
  REQUIRE(eventually([&] { return !worker_children(gw->pid()).empty(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all prepared by now
  std::vector<pid_t> before = worker_children(gw->pid());
  kill_workers(gw->pid());
  // No call comes to find them dead: the pool notices on its own.
  CHECK(eventually(
      [&] {
        auto now = worker_children(gw->pid());
        if (now.size() != before.size() || zombie_children(gw->pid()) != 0) return false;
        for (pid_t p : now)
          if (std::find(before.begin(), before.end(), p) != before.end()) return false;
        return true;
      },
      5000));
  CHECK(eventually([&] { return orphaned_cgroups(gw->pid()).empty(); }, 5000));
}
