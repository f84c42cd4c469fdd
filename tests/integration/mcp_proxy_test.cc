// type: mcp sources: a real stdio MCP server (tests/testcases/mcp_upstream.py)
// run jailed behind the real gateway, driven over the gateway's real stdio.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "harness.h"

using namespace th;

namespace {

std::string upstream_script() {
  return std::string(SOURCE_DIR) + "/tests/testcases/mcp_upstream.py";
}

// The config itself is the file the upstream must not see.
std::string config(const TempDir& dir, const std::string& extra = "") {
  std::string path = dir.path + "/gateway.yaml";
  return dir.file("gateway.yaml", R"(sources:
  - name: up
    type: mcp
    command: [python3, )" + upstream_script() +
                                      ", " + path + R"(]
    env: {GREETING: hello}
    max_message_bytes: 1048576
    timeout_ms: 20000
)" + extra);
}

std::string text_of(const json& reply) {
  const json& c = reply["result"]["content"];
  return c.is_array() && !c.empty() ? c[0].value("text", "") : "";
}

bool is_error(const json& reply) { return reply["result"].value("isError", false); }

}  // namespace

TEST_CASE("mcp upstream: tools pass through, jailed, with an explicit environment") {
  TempDir dir;
  auto gw = Gateway::stdio(config(dir));
  gw->initialize("2025-11-25", {{"sampling", json::object()}});
  json list = gw->roundtrip(request("tools/list"));
  std::vector<std::string> names;
  for (auto& t : list["result"]["tools"]) names.push_back(t["name"]);
  CHECK(std::find(names.begin(), names.end(), "up__echo") != names.end());
  CHECK(list["result"]["tools"][0]["annotations"]["readOnlyHint"] == true);

  json r = gw->roundtrip(call("up__echo", {{"text", "hi there"}}));
  CHECK(text_of(r) == "hi there");
  // Arguments are validated against the upstream's schema before forwarding.
  r = gw->roundtrip(call("up__echo", {{"text", 5}}, 8));
  CHECK(is_error(r));
  CHECK(text_of(r).find("Invalid arguments") != std::string::npos);

  r = gw->roundtrip(call("up__env", json::object(), 9));
  json env = json::parse(text_of(r));
  // Nothing is inherited. (Python itself sets LC_CTYPE when it finds the C
  // locale: PEP 538.)
  json seen = json::array();
  for (auto& n : env["names"])
    if (n != "LC_CTYPE") seen.push_back(n);
  CHECK(seen == json{"GREETING", "PATH"});
  CHECK(env["uid"] != 0);
  CHECK(env["sees"] == false);  // the gateway's config is not in its view
}

TEST_CASE("mcp upstream: a crash fails the call cleanly, and the server comes back") {
  TempDir dir;
  auto gw = Gateway::stdio(config(dir));
  gw->initialize();
  json r = gw->roundtrip(call("up__crash"));
  CHECK(is_error(r));
  CHECK(text_of(r).find("stopped: the server exited with code 3") != std::string::npos);
  // Started again after the backoff (1 s after the first crash).
  json again;
  for (int i = 0; i < 40; ++i) {
    again = gw->roundtrip(call("up__echo", {{"text", "back"}}, 100 + i));
    if (!is_error(again)) break;
    CHECK(text_of(again).find("started again in") != std::string::npos);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  CHECK(text_of(again) == "back");
}

TEST_CASE("mcp upstream: an oversized message stops it, a line of noise does not") {
  TempDir dir;
  auto gw = Gateway::stdio(config(dir));
  gw->initialize();
  json r = gw->roundtrip(call("up__noise"));
  CHECK(text_of(r) == "after the noise");
  r = gw->roundtrip(call("up__big", json::object(), 8));
  CHECK(is_error(r));
  CHECK(text_of(r).find("a message larger than 1048576 bytes") != std::string::npos);
  CHECK(gw->stderr_text().find("not JSON-RPC") != std::string::npos);
}

TEST_CASE("mcp upstream: sampling during a call is asked of the calling client") {
  TempDir dir;
  auto gw = Gateway::stdio(config(dir));
  gw->initialize("2025-11-25", {{"sampling", json::object()}});
  gw->send(call("up__sample", {{"prompt", "say yes"}}));
  std::optional<json> ask;
  for (int i = 0; i < 20 && !ask; ++i) {
    auto m = gw->recv();
    REQUIRE(m);
    if (m->value("method", "") == "sampling/createMessage") ask = m;
  }
  REQUIRE(ask);
  CHECK((*ask)["params"]["messages"][0]["content"]["text"] == "say yes");
  gw->send({{"jsonrpc", "2.0"},
            {"id", (*ask)["id"]},
            {"result",
             {{"role", "assistant"},
              {"content", {{"type", "text"}, {"text", "yes"}}},
              {"model", "test"}}}});
  std::optional<json> reply;
  for (int i = 0; i < 20 && !reply; ++i) {
    auto m = gw->recv();
    REQUIRE(m);
    if (m->contains("id") && (*m)["id"] == 7) reply = m;
  }
  REQUIRE(reply);
  CHECK(text_of(*reply) == "the client said: yes");
}

TEST_CASE("mcp upstream: policy applies to proxied tools, list_changed reaches clients") {
  TempDir dir;
  std::string policy = dir.file("policy.yaml", R"(version: 1
default: allow
rules:
  - {id: no-crash, tools: ["up__crash"], effect: deny, message: not here}
)");
  auto gw = Gateway::stdio(config(dir, "policies: [" + policy + "]\n"));
  gw->initialize();
  json r = gw->roundtrip(call("up__crash"));
  CHECK(is_error(r));
  CHECK(text_of(r) == "Denied by policy rule 'no-crash': not here");
  r = gw->roundtrip(call("up__echo", {{"text", "alive"}}, 8));
  CHECK(text_of(r) == "alive");  // the denied call never reached the server

  r = gw->roundtrip(call("up__grow", json::object(), 9));
  CHECK(text_of(r) == "grown");
  bool changed = false;
  for (int i = 0; i < 50 && !changed; ++i) {
    for (auto& n : gw->notifications)
      changed = changed || n.value("method", "") == "notifications/tools/list_changed";
    if (!changed) {
      if (auto m = gw->recv(200)) gw->notifications.push_back(*m);
    }
  }
  CHECK(changed);
  r = gw->roundtrip(call("up__extra", json::object(), 10));
  CHECK(text_of(r) == "extra ran");
}

TEST_CASE("mcp upstream: nothing is left behind when the gateway stops") {
  TempDir dir;
  auto gw = Gateway::stdio(config(dir));
  gw->initialize();
  CHECK(text_of(gw->roundtrip(call("up__echo", {{"text", "x"}}))) == "x");
  // The config's path is on the server's command line, and unique to this test.
  std::string marker = dir.path + "/gateway.yaml";
  CHECK(count_procs_with(marker) >= 1);
  gw->close_stdin();
  CHECK(gw->wait_exit(10000) == 0);
  CHECK(wait_no_procs_with(marker, 5000) == 0);
}

TEST_CASE("mcp upstream: scope session gives each client session its own server") {
  TempDir dir;
  auto gw = Gateway::http(config(dir, "    scope: session\n"));
  std::string marker = dir.path + "/gateway.yaml";
  McpHttp a(gw->port()), b(gw->port());
  a.initialize();
  b.initialize();
  auto count = [](McpHttp& c, int id) {
    HttpReply r = c.post(call("up__count", json::object(), id));
    json body = r.body_json.is_null() && !r.events.empty() ? r.events.back() : r.body_json;
    return text_of(body);
  };
  CHECK(count(a, 1) == "1");
  CHECK(count(a, 2) == "2");
  CHECK(count(b, 3) == "1");  // its own process, which has counted nothing yet
  int with_both = count_procs_with(marker);
  CHECK(with_both >= 3);  // the shared one that listed the tools, and one per session
  CHECK(a.del().status == 200);
  // The ended session's server is stopped; the other one is still there.
  for (int i = 0; i < 50 && count_procs_with(marker) >= with_both; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(count_procs_with(marker) < with_both);
  CHECK(count(b, 4) == "2");
}

TEST_CASE("mcp upstream: only client-facing requests are relayed, and only if the client can") {
  TempDir dir;
  auto gw = Gateway::stdio(config(dir));
  gw->initialize("2025-11-25", {{"elicitation", json::object()}});  // no sampling
  json r = gw->roundtrip(call("up__ask", {{"method", "secrets/read"}}));
  CHECK(text_of(r).find("method not found: secrets/read") != std::string::npos);
  r = gw->roundtrip(call("up__ask", {{"method", "sampling/createMessage"}}, 8));
  CHECK(text_of(r).find("the client does not support sampling") != std::string::npos);
  r = gw->roundtrip(call("up__ask", {{"method", "ping"}}, 9));
  CHECK(text_of(r) == "{}");  // answered by the gateway itself
}

TEST_CASE("mcp upstream: malformed federated requests are refused and leave nothing behind") {
  TempDir dir;
  auto gw = Gateway::stdio(config(dir));
  gw->initialize();
  json r = gw->roundtrip(request("completion/complete", json::object(), 5));
  CHECK(r["error"]["code"] == -32602);
  r = gw->roundtrip(request("completion/complete", {{"ref", 3}}, 5));
  CHECK(r["error"]["code"] == -32602);
  r = gw->roundtrip(request("resources/read", {{"uri", 7}}, 5));
  CHECK(r["error"]["code"] == -32602);
  // The id is free again: nothing was left in flight under it.
  r = gw->roundtrip(call("up__echo", {{"text", "still here"}}, 5));
  CHECK(text_of(r) == "still here");
}

TEST_CASE("mcp upstream: forwarded requests other than tool calls are audited") {
  TempDir dir;
  std::string audit = dir.path + "/audit.jsonl";
  auto gw = Gateway::stdio(config(dir, "audit: {path: " + audit + "}\n"));
  gw->initialize();
  // The test server offers no resources: refused before anything is sent.
  json r = gw->roundtrip(request("resources/read", {{"uri", "file:///x"}}, 5));
  CHECK(r.contains("error"));
  r = gw->roundtrip(request("prompts/list", json::object(), 6));
  CHECK(r["result"]["prompts"] == json::array());
  std::string log = read_file(audit);
  CHECK(log.find(R"("event":"forward")") != std::string::npos);
  CHECK(log.find(R"("method":"prompts/list")") != std::string::npos);
  CHECK(log.find(R"("method":"resources/read")") == std::string::npos);
}
