// A reload while a call is in flight: the call finishes under the config
// generation it started with (its Snapshot), and the calls after the reload
// get the new one. The sandbox identity tells them apart: the tool prints
// the uid it runs as, which each generation sets differently.
#include <doctest/doctest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "harness.h"

using namespace th;

namespace {

std::string config_with_uid(const TempDir& dir, int uid) {
  return "policies: [policy.yaml]\n"
         "approvals: {timeout_ms: 20000, socket: " +
         dir.path + "/approvals.sock}\n" + "workers: {sandbox: {uid: " + std::to_string(uid) +
         ", gid: " + std::to_string(uid) +
         "}}\n"
         "sources:\n  - name: t\n    type: script\n    tools:\n"
         "      - name: whoami\n        command: [/bin/sh, -c, \"id -u\"]\n"
         "        input_schema: {type: object}\n";
}

struct ApprovalDesk {
  std::string config, socket;
  // The id of the one pending approval, once there is one.
  std::string wait_pending() {
    std::string id;
    bool found = eventually([&] {
      json j = json::parse(run("approvals list --json --socket " + socket).out, nullptr, false);
      if (!j.is_object() || j["pending"].size() != 1) return false;
      id = j["pending"][0]["id"];
      return true;
    });
    REQUIRE(found);
    return id;
  }
  void approve(const std::string& id) {
    REQUIRE(run("approvals approve " + id + " -c " + config).status == 0);
  }
};

std::string answer_text(Gateway& gw, const json& id) {
  for (;;) {
    auto m = gw.recv(15000);
    REQUIRE(m);
    if (m->contains("id") && (*m)["id"] == id) {
      REQUIRE((*m)["result"]["content"].size() >= 1);
      return (*m)["result"]["content"][0].value("text", "");
    }
  }
}

}  // namespace

TEST_CASE("reload: a call in flight keeps its generation's sandbox, later calls get the new one") {
  TempDir dir;
  dir.file("policy.yaml",
           "version: 1\ndefault: deny\nrules:\n"
           "  - {id: ask, tools: [t__whoami], effect: approve}\n");
  std::string config = dir.file("c.yaml", config_with_uid(dir, 65534));
  ApprovalDesk desk{config, dir.path + "/approvals.sock"};
  auto gw = Gateway::stdio(config);
  gw->initialize();

  // The call starts under generation 1 and waits for a human.
  gw->send(call("t__whoami", json::object(), "before"));
  std::string first = desk.wait_pending();

  // Generation 2 runs tools as another uid.
  std::ofstream(config) << config_with_uid(dir, 65533);
  gw->signal(SIGHUP);
  REQUIRE(
      eventually([&] { return gw->stderr_text().find("config reloaded") != std::string::npos; }));

  desk.approve(first);
  CHECK(answer_text(*gw, "before").find("65534") != std::string::npos);

  // A call that starts after the reload runs under generation 2.
  gw->send(call("t__whoami", json::object(), "after"));
  desk.approve(desk.wait_pending());
  CHECK(answer_text(*gw, "after").find("65533") != std::string::npos);
}
