// The policy engine in a running gateway: decisions on live calls, hidden
// tools, the audit log (also across crashes), human approval over real
// elicitation and over the `toolgate approvals` socket, hot reload, API keys,
// /metrics and /admin/approvals, and the policy CLI.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "harness.h"

using namespace th;

namespace {

std::vector<json> audit_records(const std::string& path) {
  std::vector<json> out;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) out.push_back(json::parse(line));  // every line must parse
  return out;
}

std::vector<json> records_of(const std::vector<json>& all, const std::string& tool,
                             const std::string& event) {
  std::vector<json> out;
  for (auto& r : all)
    if (r["tool"] == tool && r["event"] == event) out.push_back(r);
  return out;
}

bool is_error(const json& r) { return r["result"].value("isError", false); }
std::string text_of(const json& r) { return r["result"]["content"][0].value("text", ""); }

// A gateway config with script tools and the given policy file contents.
struct PolicyFixture {
  TempDir dir;
  std::string policy, config, audit;
  PolicyFixture(const std::string& policy_text, const std::string& extra = "") {
    policy = dir.file("policy.yaml", policy_text);
    audit = dir.path + "/audit.jsonl";
    config = dir.file(
        "c.yaml",
        "policies: [policy.yaml]\n"
        "audit: {path: audit.jsonl}\n"
        "approvals: {timeout_ms: 20000, socket: " +
            dir.path + "/approvals.sock}\n" + extra +
            "sources:\n  - name: t\n    type: script\n    tools:\n"
            "      - name: echo\n        command: [cat]\n"
            "        input_schema: {type: object, properties: {msg: {type: string}, token: {type: "
            "string}}}\n"
            "        annotations: {readOnlyHint: true}\n"
            "      - name: rm\n        command: [cat]\n        input_schema: {type: object}\n"
            "      - name: secret\n        command: [cat]\n"
            // The temp dir in its command line tells this test's tool from others'.
            "      - name: sleep\n        command: [\"" +
            testcase("sleep_forever") + "\", \"" + dir.path +
            "/sleep-marker\"]\n"
            "        input_schema: {type: object}\n        annotations: {readOnlyHint: true}\n");
  }
};

const char* kBasicPolicy = R"(version: 1
default: deny
rules:
  - id: read
    tools: ["t__echo", "t__sleep"]
    effect: allow
  - id: no-shouting
    tools: ["t__echo"]
    when: {args.msg: {matches: "^[A-Z !]+$"}}
    effect: deny
    message: Please do not shout.
  - id: rm-needs-a-human
    tools: ["t__rm"]
    effect: approve
    message: Removing things needs a person.
  - id: quota
    tools: ["t__echo"]
    effect: allow
    limit: {calls: 3, per: 1h}
)";

}  // namespace

TEST_CASE("policy: denied calls are tool errors naming the rule, never-allowed tools are hidden") {
  PolicyFixture f(kBasicPolicy);
  auto gw = Gateway::stdio(f.config);
  gw->initialize();
  json list = gw->roundtrip(request("tools/list"));
  std::vector<std::string> names;
  for (auto& t : list["result"]["tools"]) names.push_back(t["name"]);
  CHECK(names == std::vector<std::string>{"t__echo", "t__rm", "t__sleep"});  // t__secret hidden

  json ok = gw->roundtrip(call("t__echo", {{"msg", "hello"}, {"token", "tok-123456"}}));
  CHECK_FALSE(is_error(ok));
  CHECK(ok["result"]["structuredContent"]["msg"] == "hello");

  json shout = gw->roundtrip(call("t__echo", {{"msg", "HELLO"}}));
  CHECK(is_error(shout));
  CHECK(text_of(shout) == "Denied by policy rule 'no-shouting': Please do not shout.");
  CHECK_FALSE(shout.contains("error"));  // a tool error, not a protocol error

  json hidden = gw->roundtrip(call("t__secret"));
  CHECK(is_error(hidden));
  CHECK(text_of(hidden).find("the policy default") != std::string::npos);

  // Two more calls use up the quota of 3; the fourth is refused until the reset.
  CHECK_FALSE(is_error(gw->roundtrip(call("t__echo", {{"msg", "two"}}))));
  CHECK_FALSE(is_error(gw->roundtrip(call("t__echo", {{"msg", "three"}}))));
  json over = gw->roundtrip(call("t__echo", {{"msg", "four"}}));
  CHECK(is_error(over));
  CHECK(text_of(over).find("Denied by policy rule 'quota': rate limit of 3 calls per 1h per "
                           "caller reached; it resets at ") == 0);

  auto recs = audit_records(f.audit);
  auto decisions = records_of(recs, "t__echo", "decision");
  REQUIRE(decisions.size() == 5);
  CHECK(decisions[0]["decision"] == "allow");
  CHECK(decisions[0]["args"]["token"] == "[REDACTED]");
  CHECK(decisions[0]["args"]["msg"] == "hello");
  CHECK(decisions[0]["caller"] == "local");
  CHECK(decisions[1]["decision"] == "deny");
  CHECK(decisions[1]["rule"] == "no-shouting");
  CHECK(decisions[4]["rate_limited"] == true);
  auto ends = records_of(recs, "t__echo", "end");
  REQUIRE(ends.size() == 5);  // every call ends, dispatched or not
  CHECK(ends[0]["call"] == decisions[0]["call"]);
  CHECK(ends[0]["outcome"] == "ok");
  CHECK(ends[1]["call"] == decisions[1]["call"]);
  CHECK(ends[1]["outcome"] == "denied");
  CHECK(ends[1]["dispatched"] == false);
  CHECK(read_file(f.audit).find("tok-123456") == std::string::npos);

  auto tail = run("audit tail -c " + f.config + " -n 3");
  CHECK(tail.status == 0);
  std::istringstream lines(tail.out);
  std::vector<std::string> shown;
  for (std::string l; std::getline(lines, l);) shown.push_back(l);
  REQUIRE(shown.size() == 3);
  CHECK(shown[0].find(" end ") != std::string::npos);
  CHECK(shown[0].find("  ok  ") != std::string::npos);
  CHECK(shown[1].find("decision") != std::string::npos);
  CHECK(shown[1].find("local  t__echo  deny (rule quota) rate-limited") != std::string::npos);
  CHECK(shown[2].find("  denied") != std::string::npos);
  auto raw = run("audit tail --file " + f.audit + " -n 2 --json");
  CHECK(json::parse(raw.out.substr(0, raw.out.find('\n')))["rule"] == "quota");
}

TEST_CASE("policy: the audit log keeps every decision when a worker or the gateway is killed") {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  PolicyFixture f(kBasicPolicy);
  {
    auto gw = Gateway::stdio(f.config);
    gw->initialize();
    gw->send(call("t__sleep", json::object(), "a"));
    REQUIRE(eventually([&] { return count_procs_with(f.dir.path + "/sleep-marker") > 0; }));
    // The decision was written before the worker started.
    CHECK(records_of(audit_records(f.audit), "t__sleep", "decision").size() == 1);
    for (pid_t w : worker_children(gw->pid())) ::kill(w, SIGKILL);
    std::optional<json> r;
    do {
      r = gw->recv(15000);
      REQUIRE(r);
    } while (!r->contains("id"));
    CHECK((*r)["id"] == "a");
    CHECK(is_error(*r));
    auto ends = records_of(audit_records(f.audit), "t__sleep", "end");
    REQUIRE(ends.size() == 1);
    CHECK(ends[0]["outcome"] == "protocol_error");
    CHECK_FALSE(is_error(gw->roundtrip(call("t__echo", {{"msg", "still here"}}))));

    REQUIRE(eventually([&] { return count_procs_with(f.dir.path + "/sleep-marker") == 0; }));
    gw->send(call("t__sleep", json::object(), "b"));
    REQUIRE(eventually([&] { return count_procs_with(f.dir.path + "/sleep-marker") > 0; }));
    gw->signal(SIGKILL);
    gw->wait_exit(5000);
  }
  auto recs = audit_records(f.audit);
  auto decisions = records_of(recs, "t__sleep", "decision");
  REQUIRE(decisions.size() == 2);
  CHECK(records_of(recs, "t__sleep", "end").size() == 1);  // the second call never ended
  CHECK(decisions[1]["decision"] == "allow");
  CHECK(wait_no_procs_with(f.dir.path + "/sleep-marker", 5000) == 0);
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_CASE("policy: approval over elicitation shows the exact call, decline denies, accept runs") {
  PolicyFixture f(kBasicPolicy);
  auto gw = Gateway::stdio(f.config);
  gw->initialize("2025-06-18", {{"elicitation", json::object()}});
  for (std::string answer : {"decline", "accept"}) {
    CAPTURE(answer);
    gw->send(call("t__rm", {{"path", "/data/x"}, {"password", "pw-9876"}}, "rm-" + answer));
    std::optional<json> ask;
    for (int i = 0; i < 10 && !ask; ++i) {
      auto m = gw->recv(10000);
      REQUIRE(m);
      if (m->value("method", "") == "elicitation/create") ask = *m;
    }
    REQUIRE(ask);
    std::string msg = (*ask)["params"]["message"];
    CHECK(msg.find("Tool: t__rm") != std::string::npos);
    CHECK(msg.find("\"/data/x\"") != std::string::npos);
    // The human sees every argument: only configured secrets are hidden,
    // never values the model merely put under a secret-looking key.
    CHECK(msg.find("pw-9876") != std::string::npos);
    CHECK(msg.find("Rule: rm-needs-a-human (Removing things needs a person.)") !=
          std::string::npos);
    CHECK(msg.find("Call digest: sha256:") != std::string::npos);
    gw->send({{"jsonrpc", "2.0"}, {"id", (*ask)["id"]}, {"result", {{"action", answer}}}});
    std::optional<json> res;
    for (int i = 0; i < 10 && !res; ++i) {
      auto m = gw->recv(10000);
      REQUIRE(m);
      if (m->contains("id") && (*m)["id"] == "rm-" + answer) res = *m;
    }
    REQUIRE(res);
    if (answer == "decline") {
      CHECK(is_error(*res));
      CHECK(text_of(*res) == "A human declined this call (policy rule 'rm-needs-a-human').");
    } else {
      CHECK_FALSE(is_error(*res));
      CHECK((*res)["result"]["structuredContent"]["path"] == "/data/x");
    }
  }
  auto approvals = records_of(audit_records(f.audit), "t__rm", "approval");
  REQUIRE(approvals.size() == 2);
  CHECK(approvals[0]["verdict"] == "declined");
  CHECK(approvals[1]["verdict"] == "approved");
  CHECK(approvals[1]["by"] == "elicitation:local");
  auto ends = records_of(audit_records(f.audit), "t__rm", "end");
  REQUIRE(ends.size() == 2);
  CHECK(ends[0]["outcome"] == "declined");
  CHECK(ends[1]["outcome"] == "ok");
  // The audit log still hides the secret-looking argument.
  CHECK(read_file(f.audit).find("pw-9876") == std::string::npos);
}

TEST_CASE("policy: without elicitation a call waits for `toolgate approvals`, a timeout denies") {
  PolicyFixture f(kBasicPolicy);
  auto gw = Gateway::stdio(f.config);
  gw->initialize();
  std::string sock = f.dir.path + "/approvals.sock";

  auto pending = [&] {
    auto r = run("approvals list --json --socket " + sock);
    json j = json::parse(r.out, nullptr, false);
    return j.is_object() ? j["pending"] : json::array();
  };
  for (std::string verb : {"approve", "deny"}) {
    CAPTURE(verb);
    json progress_call = call("t__rm", {{"n", 1}}, verb);
    progress_call["params"]["_meta"] = {{"progressToken", "p-" + verb}};
    gw->send(progress_call);
    json list;
    REQUIRE(eventually([&] {
      list = pending();
      return list.size() == 1;
    }));
    CHECK(list[0]["tool"] == "t__rm");
    CHECK(list[0]["rule"] == "rm-needs-a-human");
    CHECK(list[0]["args"]["n"] == 1);
    auto human =
        run("approvals " + verb + " " + list[0]["id"].get<std::string>() + " -c " + f.config);
    CHECK(human.status == 0);
    std::optional<json> res;
    while (!res) {
      auto m = gw->recv(10000);
      REQUIRE(m);
      if (m->contains("id") && (*m)["id"] == verb) res = *m;
    }
    CHECK(is_error(*res) == (verb == "deny"));
    CHECK(pending().empty());
  }
  // Deciding twice, or an unknown id, is an error.
  auto again = run("approvals approve 0123456789abcdef --socket " + sock);
  CHECK(again.status == 1);
  CHECK(again.out.find("no pending approval") != std::string::npos);

  PolicyFixture g(kBasicPolicy);
  std::string quick = g.dir.file("quick.yaml", read_file(g.config));
  {
    std::string t = read_file(quick);
    t.replace(t.find("timeout_ms: 20000"), 17, "timeout_ms: 1000");
    std::ofstream(quick) << t;
  }
  auto gw2 = Gateway::stdio(quick);
  gw2->initialize();
  json r = gw2->roundtrip(call("t__rm"));
  CHECK(is_error(r));
  CHECK(text_of(r).find("none came within 1 s, so it was denied") != std::string::npos);
  CHECK(gw2->stderr_text().find("call waits for human approval: toolgate approvals approve ") !=
        std::string::npos);
}

TEST_CASE("policy: a broken policy file is rejected on reload and the old policy stays") {
  PolicyFixture f(kBasicPolicy);
  auto gw = Gateway::stdio(f.config);
  gw->initialize();
  CHECK_FALSE(is_error(gw->roundtrip(call("t__echo", {{"msg", "a"}}))));

  // An editor saving a broken file (by rename, as many do).
  std::string tmp = f.dir.file("policy.yaml.tmp",
                               "version: 1\nrules:\n  - id: x\n    effect: allow\n    tool: [y]\n");
  ::rename(tmp.c_str(), f.policy.c_str());
  REQUIRE(
      eventually([&] { return gw->stderr_text().find("reload rejected") != std::string::npos; }));
  CHECK(gw->stderr_text().find(f.policy + ":5:5: /rules/0/tool: unknown key 'tool'") !=
        std::string::npos);
  CHECK_FALSE(is_error(gw->roundtrip(call("t__echo", {{"msg", "b"}}))));  // old policy

  // A good file takes effect, and clients hear that the list may have changed.
  std::ofstream(f.policy) << "version: 1\ndefault: deny\nrules:\n"
                             "  - {id: only-sleep, tools: [t__sleep], effect: allow}\n";
  REQUIRE(
      eventually([&] { return gw->stderr_text().find("config reloaded") != std::string::npos; }));
  json r = gw->roundtrip(call("t__echo", {{"msg", "c"}}));
  CHECK(is_error(r));
  CHECK(text_of(r).find("the policy default") != std::string::npos);
  bool told = false;
  for (auto& n : gw->notifications)
    told = told || n["method"] == "notifications/tools/list_changed";
  CHECK(told);
  json list = gw->roundtrip(request("tools/list"));
  REQUIRE(list["result"]["tools"].size() == 1);
  CHECK(list["result"]["tools"][0]["name"] == "t__sleep");
}

TEST_CASE("http: API keys decide who calls, sessions stay with their caller") {
  PolicyFixture f(R"(version: 1
default: deny
rules:
  - {id: support-echo, tools: [t__echo], callers: ["role:support"], effect: allow}
)",
                  "server:\n  auth:\n    api_keys:\n"
                  "      - {key: alice-key-0123456789, caller: alice, roles: [support]}\n"
                  "      - {key: bob-key-0123456789ab, caller: bob}\n");
  auto gw = Gateway::http(f.config);
  McpHttp anon(gw->port());
  auto r = anon.post(request("initialize", {{"protocolVersion", "2025-11-25"},
                                            {"capabilities", json::object()},
                                            {"clientInfo", {{"name", "x"}, {"version", "1"}}}}),
                     {}, false);
  CHECK(r.status == 401);
  CHECK(r.header("WWW-Authenticate").find("Bearer") == 0);
  anon.bearer = "wrong-key-0123456789";
  CHECK(anon.get("/metrics").status == 401);

  McpHttp alice(gw->port()), bob(gw->port());
  alice.bearer = "alice-key-0123456789";
  bob.bearer = "bob-key-0123456789ab";
  alice.initialize();
  bob.initialize();
  auto a = alice.post(call("t__echo", {{"msg", "hi"}}));
  CHECK_FALSE(a.body_json["result"].value("isError", false));
  auto b = bob.post(call("t__echo", {{"msg", "hi"}}));
  CHECK(b.body_json["result"].value("isError", true));
  // bob sees no tools at all: every one is denied to him.
  CHECK(bob.post(request("tools/list")).body_json["result"]["tools"].empty());
  // bob's key cannot drive alice's session.
  auto hijack = bob.post(call("t__echo"), {{"Mcp-Session-Id", alice.session}}, false);
  CHECK(hijack.status == 403);

  auto metrics = alice.get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find(
            "toolgate_calls_total{tool=\"t__echo\",decision=\"allow\",outcome=\"ok\"} 1") !=
        std::string::npos);
  CHECK(metrics.body.find(
            "toolgate_calls_total{tool=\"t__echo\",decision=\"deny\",outcome=\"denied\"} 1") !=
        std::string::npos);
  CHECK(metrics.body.find("toolgate_sessions_active 2") != std::string::npos);
  CHECK(metrics.body.find("toolgate_call_duration_seconds_count{tool=\"t__echo\"} 1") !=
        std::string::npos);
  auto recs = audit_records(f.audit);
  auto d = records_of(recs, "t__echo", "decision");
  REQUIRE(d.size() == 2);
  CHECK(d[0]["caller"] == "alice");
  CHECK(d[0]["roles"] == json::array({"support"}));
  CHECK(d[1]["caller"] == "bob");
}

TEST_CASE("http: /admin/approvals needs an admin key, and no caller approves its own call") {
  PolicyFixture f(kBasicPolicy,
                  "server:\n  auth:\n    api_keys:\n"
                  "      - {key: agent-key-0123456789, caller: agent, roles: [admin]}\n"
                  "      - {key: human-key-0123456789, caller: human, roles: [admin]}\n"
                  "      - {key: other-key-0123456789, caller: other}\n");
  auto gw = Gateway::http(f.config);
  McpHttp agent(gw->port());
  agent.bearer = "agent-key-0123456789";
  agent.initialize();
  std::thread caller([&] {
    auto r = agent.post(call("t__rm", {{"x", 1}}));
    CHECK(r.body_json["result"]["structuredContent"]["x"] == 1);
  });
  McpHttp human(gw->port()), other(gw->port()), self(gw->port());
  human.bearer = "human-key-0123456789";
  other.bearer = "other-key-0123456789";
  self.bearer = "agent-key-0123456789";
  CHECK(other.get("/admin/approvals").status == 403);
  json pending;
  REQUIRE(eventually([&] {
    auto r = human.get("/admin/approvals");
    pending = r.body_json["pending"];
    return r.status == 200 && pending.size() == 1;
  }));
  std::string id = pending[0]["id"];
  auto own = self.client.Post("/admin/approvals/" + id + "/approve",
                              {{"Authorization", "Bearer agent-key-0123456789"}}, "", "text/plain");
  REQUIRE(own);
  CHECK(own->status == 409);
  CHECK(own->body.find("cannot approve its own call") != std::string::npos);
  auto ok = human.client.Post("/admin/approvals/" + id + "/approve",
                              {{"Authorization", "Bearer human-key-0123456789"}}, "", "text/plain");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  caller.join();
  auto a = records_of(audit_records(f.audit), "t__rm", "approval");
  REQUIRE(a.size() == 1);
  CHECK(a[0]["by"] == "http:human");
}

TEST_CASE("cli: policy test, explain and lint, serve refuses a policy with errors") {
  std::string cfg = std::string(SOURCE_DIR) + "/policies/tests/gateway.yaml";
  auto t = run("policy test -c " + cfg + " " + SOURCE_DIR + "/policies/tests/sql.test.yaml");
  CHECK(t.status == 0);
  CHECK(t.out.find("6 passed, 0 failed") != std::string::npos);

  TempDir dir;
  std::string bad_cases = dir.file("bad.test.yaml", R"(cases:
  - {name: wrong on purpose, tool: db__query, args: {sql: "drop table x"}, expect: allow}
  - {name: unknown tool, tool: db__nope, expect: deny}
  - {name: bad args, tool: db__query, args: {}, expect: deny}
  - {name: right, tool: db__query, args: {sql: "select 1"}, expect: allow}
)");
  auto f = run("policy test -c " + cfg + " " + bad_cases);
  CHECK(f.status == 1);
  CHECK(f.out.find("1 passed, 3 failed") != std::string::npos);
  CHECK(f.out.find(bad_cases + ":2:5: wrong on purpose: expected allow, got deny (rule "
                               "sql-select-only)") != std::string::npos);
  CHECK(f.out.find("unknown tool 'db__nope'") != std::string::npos);
  CHECK(f.out.find("arguments fail the tool's inputSchema") != std::string::npos);

  auto e = run("policy explain -c " + cfg +
               " --tool db__query --args '{\"sql\":\"select 1; drop x\"}' --caller alice");
  CHECK(e.status == 0);
  CHECK(e.out.find("decision: deny (rule sql-single-statement)") != std::string::npos);
  CHECK(e.out.find("caller:   alice [support]") != std::string::npos);
  CHECK(e.out.find("args.sql not_matches") != std::string::npos);  // the near miss, and why
  auto ej = run("policy explain -c " + cfg +
                " --tool mail__send --args '{\"to\":\"a@example.com\","
                "\"body\":\"x\"}' --caller nobody --json");
  json j = json::parse(ej.out);
  CHECK(j["decision"] == "deny");
  CHECK(j["rule"] == "default");
  CHECK(j["caller"]["configured"] == false);

  auto l = run("policy lint -c " + cfg);
  CHECK(l.status == 0);
  CHECK(l.out.find("0 errors, 0 warnings") != std::string::npos);

  std::string pol = dir.file("p.yaml",
                             "version: 1\nrules:\n  - id: a\n    effect: deny\n"
                             "    tools: [\"nothing__*\"]\n"
                             "    when: {args.q: {matches: \"a(b\"}}\n");
  std::string c = dir.file("c.yaml", "policies: [p.yaml]\nsources: []\n");
  auto s = run("serve -c " + c + " --stdio");
  CHECK(s.status == 1);
  CHECK(s.out.find(pol + ":6:") != std::string::npos);
  CHECK(s.out.find("bad regular expression") != std::string::npos);
  CHECK(run("policy lint -c " + c).status == 1);
  CHECK(run("validate -c " + c).status == 1);

  std::ofstream(pol) << "version: 1\nrules:\n  - id: a\n    effect: deny\n"
                        "    tools: [\"nothing__*\"]\n";
  auto w = run("validate -c " + c);
  CHECK(w.status == 0);
  CHECK(w.out.find("warning: " + pol + ":5:") != std::string::npos);
  CHECK(w.out.find("matches no tool") != std::string::npos);
}
