// The command line, run as a real process.
#include <doctest/doctest.h>

#include "harness.h"

using namespace th;

TEST_CASE("cli: --version and --help on every command") {
  auto v = run("--version");
  CHECK(v.status == 0);
  CHECK(v.out.find("toolgate 0.") == 0);
  for (const char* cmd :
       {"", "serve ", "validate ", "tools ", "doctor ", "policy ", "approvals ", "audit "}) {
    auto h = run(std::string(cmd) + "--help");
    CAPTURE(cmd);
    CHECK(h.status == 0);
    CHECK(h.out.find("usage: toolgate") != std::string::npos);
  }
  CHECK(run("frobnicate").status == 2);
  CHECK(run("serve").status == 2);  // no -c
  CHECK(run("serve -c x.yaml --bogus").status == 2);
}

TEST_CASE("cli: validate reports file:line:col and exits 1 on a bad config") {
  TempDir dir;
  std::string good = dir.file("good.yaml",
                              "sources:\n  - name: a\n    type: script\n    tools:\n"
                              "      - name: t\n        command: [cat]\n");
  auto ok = run("validate -c " + good);
  CHECK(ok.status == 0);
  CHECK(ok.out.find("ok (1 sources, 1 tools)") != std::string::npos);

  std::string bad = dir.file("bad.yaml",
                             "sources:\n  - name: a\n    type: script\n    tools:\n"
                             "      - name: t\n        command: [cat]\n        timeout_ms: soon\n");
  auto r = run("validate -c " + bad);
  CHECK(r.status == 1);
  CHECK(r.out.find(bad + ":7:21:") != std::string::npos);
  CHECK(r.out.find("timeout_ms") != std::string::npos);

  std::string typo = dir.file("typo.yaml", "sources: []\nserver:\n  lisen: 127.0.0.1:1\n");
  auto t = run("validate -c " + typo);
  CHECK(t.status == 1);
  CHECK(t.out.find(typo + ":3:3: /server/lisen: unknown key") != std::string::npos);
  CHECK(t.out.find("lisen") != std::string::npos);

  auto missing = run("validate -c " + dir.path + "/nope.yaml");
  CHECK(missing.status == 1);
  CHECK(missing.out.find("cannot open") != std::string::npos);
}

TEST_CASE("cli: tools prints the catalog, --json the exact tools/list entries") {
  TempDir dir;
  std::string cfg = dir.file("c.yaml",
                             "sources:\n  - name: a\n    type: script\n    tools:\n"
                             "      - name: hello world\n        description: says hi\n"
                             "        command: [cat]\n");
  auto r = run("tools -c " + cfg);
  CHECK(r.status == 0);
  CHECK(r.out.find("a__hello_world") != std::string::npos);
  auto j = run("tools -c " + cfg + " --json");
  CHECK(j.status == 0);
  json list = json::parse(j.out);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["name"] == "a__hello_world");
  CHECK(list[0]["inputSchema"]["type"] == "object");
}

TEST_CASE("cli: the README's demo config is valid") {
  auto r = run(std::string("validate -c ") + SOURCE_DIR + "/examples/demo.yaml");
  CHECK(r.status == 0);
}
