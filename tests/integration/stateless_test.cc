// MCP 2026-07-28 against the real binary: both eras on one endpoint,
// headers checked against the body, stateless lists with caching fields,
// approvals as input_required rounds with a sealed requestState, and
// subscriptions/listen; over HTTP and stdio.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "harness.h"

using namespace th;

namespace {

const char* kConfig = R"(sources:
  - name: s
    type: script
    tools:
      - name: echo
        description: Echoes its arguments.
        command: [cat]
        input_schema: {type: object, properties: {region: {type: string, x-mcp-header: Region}}}
      - name: remove
        description: Pretends to remove a file.
        command: [cat]
        input_schema: {type: object, properties: {path: {type: string}}, required: [path]}
        annotations: {destructiveHint: true}
policies: [policy.yaml]
audit: {path: audit.jsonl}
approvals: {timeout_ms: 3000}
)";

const char* kPolicy = R"(version: 1
default: allow
rules:
  - id: removals-need-a-human
    tools: [s__remove]
    effect: approve
)";

json envelope(json caps = json::object()) {
  return {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
          {"io.modelcontextprotocol/clientCapabilities", caps},
          {"io.modelcontextprotocol/clientInfo", {{"name", "stateless-test"}, {"version", "1"}}}};
}

// A 2026 request: the envelope in params._meta.
json modern(const std::string& method, json params = json::object(), json id = 1,
            json caps = json::object()) {
  params["_meta"] = envelope(caps);
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
}

// The headers a 2026 client sends with `msg`.
httplib::Headers headers_for(const json& msg) {
  httplib::Headers h = {{"MCP-Protocol-Version", "2026-07-28"},
                        {"Mcp-Method", msg["method"].get<std::string>()}};
  const json& p = msg["params"];
  if (p.contains("name")) h.emplace("Mcp-Name", p["name"].get<std::string>());
  return h;
}

struct Fixture {
  TempDir dir;
  std::string config = (dir.file("policy.yaml", kPolicy), dir.file("c.yaml", kConfig));
  std::unique_ptr<Gateway> gw = Gateway::http(config);
  McpHttp mcp{gw->port()};

  // Posts with the headers a 2026 client sends; `extra` replaces or adds.
  HttpReply post(const json& msg, httplib::Headers extra = {}) {
    httplib::Headers h = headers_for(msg);
    h.emplace("Accept", "application/json, text/event-stream");
    for (auto& [k, v] : extra) {
      h.erase(k);
      h.emplace(k, v);
    }
    return mcp.post_raw(msg.dump(), h);
  }
};

int error_code(const HttpReply& r) { return r.body_json["error"].value("code", 0); }

}  // namespace

TEST_CASE("2026: server/discover names the versions, capabilities and caching") {
  Fixture f;
  auto r = f.post(modern("server/discover"));
  REQUIRE(r.status == 200);
  const json& res = r.body_json["result"];
  CHECK(res["supportedVersions"][0] == "2026-07-28");
  CHECK(res["supportedVersions"].size() == 4);
  CHECK(res["capabilities"].contains("tools"));
  CHECK(res["resultType"] == "complete");
  CHECK(res["ttlMs"].is_number_unsigned());
  CHECK(res["cacheScope"] == "public");
  CHECK(res["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "toolgate");
  CHECK_FALSE(r.headers.count("Mcp-Session-Id"));
}

TEST_CASE("2026: a 2025 client on the same URL keeps its session") {
  Fixture f;
  CHECK(f.mcp.initialize()["result"]["protocolVersion"] == "2025-11-25");
  CHECK_FALSE(f.mcp.session.empty());
  auto ping = f.mcp.post(request("ping"));
  CHECK(ping.status == 200);
  CHECK_FALSE(ping.body_json["result"].contains("resultType"));  // 2025 results stay as they were
  auto modern_list = f.post(modern("tools/list"));
  CHECK(modern_list.body_json["result"]["resultType"] == "complete");
}

TEST_CASE("2026: tools/list is stateless, stable and says how to cache it") {
  Fixture f;
  auto a = f.post(modern("tools/list"));
  auto b = f.post(modern("tools/list", json::object(), 2));
  REQUIRE(a.status == 200);
  const json& res = a.body_json["result"];
  CHECK(res["tools"].size() == 2);
  CHECK(res["tools"] == b.body_json["result"]["tools"]);
  CHECK(res["resultType"] == "complete");
  CHECK(res["ttlMs"].is_number_unsigned());
  // The list depends on the caller once policy hides tools (the default).
  CHECK(res["cacheScope"] == "private");
  // The x-mcp-header mark and 2020-12 keywords pass through unchanged.
  CHECK(res["tools"][0]["inputSchema"]["properties"]["region"]["x-mcp-header"] == "Region");
}

TEST_CASE("2026: each header mismatch is refused with 400 and -32020") {
  Fixture f;
  json call = modern("tools/call", {{"name", "s__echo"}, {"arguments", json::object()}});
  CHECK(f.post(call).status == 200);
  struct Case {
    const char* what;
    httplib::Headers headers;
  };
  for (const Case& c : std::vector<Case>{
           {"wrong method", {{"Mcp-Method", "tools/list"}}},
           {"method in other case", {{"Mcp-Method", "TOOLS/CALL"}}},
           {"wrong name", {{"Mcp-Name", "s__remove"}}},
           {"bad base64 name", {{"Mcp-Name", "=?base64?czpfX2VjaG8?=}"}}},
           {"version differs from the body", {{"MCP-Protocol-Version", "2027-01-01"}}}}) {
    CAPTURE(c.what);
    auto r = f.post(call, c.headers);
    CHECK(r.status == 400);
    CHECK(error_code(r) == -32020);
    CHECK(r.body_json["id"] == 1);
  }
  // Missing headers: build them by hand.
  for (const char* drop : {"Mcp-Method", "Mcp-Name", "MCP-Protocol-Version"}) {
    CAPTURE(drop);
    httplib::Headers h = headers_for(call);
    h.erase(drop);
    h.emplace("Accept", "application/json, text/event-stream");
    auto r = f.mcp.post_raw(call.dump(), h);
    CHECK(r.status == 400);
    CHECK(error_code(r) == -32020);
  }
  // Base64 that decodes to the body's name is the same name.
  CHECK(f.post(call, {{"Mcp-Name", "=?base64?c19fZWNobw==?="}}).status == 200);
  // Mcp-Param-* mirrors arguments marked x-mcp-header.
  json with_region = modern("tools/call", {{"name", "s__echo"}, {"arguments", {{"region", "eu"}}}});
  CHECK(f.post(with_region, {{"Mcp-Param-Region", "eu"}}).status == 200);
  auto missing = f.post(with_region);
  CHECK(missing.status == 400);
  CHECK(error_code(missing) == -32020);
  CHECK(f.post(with_region, {{"Mcp-Param-Region", "us"}}).status == 400);
}

TEST_CASE("2026: envelope, version and method errors carry the revision's codes") {
  Fixture f;
  json no_caps = modern("tools/list");
  no_caps["params"]["_meta"].erase("io.modelcontextprotocol/clientCapabilities");
  auto r = f.post(no_caps);
  CHECK(r.status == 400);
  CHECK(error_code(r) == -32602);
  json no_meta = {
      {"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/list"}, {"params", json::object()}};
  r = f.post(no_meta);
  CHECK(r.status == 400);
  CHECK(error_code(r) == -32602);
  json future = modern("server/discover");
  future["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "v999.0.0";
  r = f.post(future, {{"MCP-Protocol-Version", "v999.0.0"}});
  CHECK(r.status == 400);
  CHECK(error_code(r) == -32022);
  CHECK(r.body_json["error"]["data"]["requested"] == "v999.0.0");
  CHECK(r.body_json["error"]["data"]["supported"][0] == "2026-07-28");
  for (const char* gone : {"initialize", "ping", "logging/setLevel", "resources/subscribe"}) {
    CAPTURE(gone);
    r = f.post(modern(gone));
    CHECK(r.status == 404);
    CHECK(error_code(r) == -32601);
  }
  // An initialize sent with a 2026 header is neither era.
  json init = request("initialize", {{"protocolVersion", "2025-11-25"},
                                     {"capabilities", json::object()},
                                     {"clientInfo", {{"name", "t"}, {"version", "1"}}}});
  r = f.mcp.post(init, {{"MCP-Protocol-Version", "2026-07-28"}}, false);
  CHECK(r.status == 400);
  CHECK(error_code(r) == -32020);
}

TEST_CASE("2026: GET and DELETE are refused with 405, session ids are ignored") {
  Fixture f;
  CHECK(f.mcp.get("/mcp", {{"Accept", "text/event-stream"}, {"MCP-Protocol-Version", "2026-07-28"}})
            .status == 405);
  CHECK(f.mcp.del({{"MCP-Protocol-Version", "2026-07-28"}}).status == 405);
  auto r = f.post(modern("tools/list"), {{"Mcp-Session-Id", "no-such-session"}});
  CHECK(r.status == 200);
}

TEST_CASE("2026: log messages only when the request asks for them") {
  Fixture f;
  json quiet = modern("tools/call", {{"name", "s__echo"}, {"arguments", json::object()}});
  quiet["params"]["_meta"]["progressToken"] = "p1";  // so the answer is a stream
  auto r = f.post(quiet);
  REQUIRE(r.events.size() >= 2);  // progress, then the answer: a log message had a place
  for (auto& ev : r.events) CHECK(ev.value("method", "") != "notifications/message");
  json loud = quiet;
  loud["params"]["_meta"]["io.modelcontextprotocol/logLevel"] = "debug";
  r = f.post(loud);
  bool logged = false;
  for (auto& ev : r.events) logged |= ev.value("method", "") == "notifications/message";
  CHECK(logged);
}

TEST_CASE("2026: an approval is an input_required round with a sealed requestState") {
  Fixture f;
  json elicit = {{"elicitation", json::object()}};
  json call =
      modern("tools/call", {{"name", "s__remove"}, {"arguments", {{"path", "/tmp/x"}}}}, 1, elicit);
  auto round1 = f.post(call);
  REQUIRE(round1.status == 200);
  const json& ask = round1.body_json["result"];
  REQUIRE(ask["resultType"] == "input_required");
  const json& question = ask["inputRequests"]["toolgate_approval"];
  CHECK(question["method"] == "elicitation/create");
  CHECK(question["params"]["message"].get<std::string>().find("/tmp/x") != std::string::npos);
  std::string state = ask["requestState"];
  // The call waits in the approvals queue meanwhile, where an operator sees it.
  auto listed = run("approvals list --json -c " + f.config);
  CHECK(listed.out.find("s__remove") != std::string::npos);

  auto retry = [&](const std::string& s, json args, json id, const std::string& action = "accept") {
    json again = modern("tools/call",
                        {{"name", "s__remove"},
                         {"arguments", args},
                         {"requestState", s},
                         {"inputResponses", {{"toolgate_approval", {{"action", action}}}}}},
                        id, elicit);
    return f.post(again).body_json;
  };
  json args = {{"path", "/tmp/x"}};
  // Tampered, or re-targeted at other arguments: refused, and the parked
  // approval is still there for the genuine retry.
  CHECK(retry(state + "-TAMPERED", args, 2)["error"]["code"] == -32602);
  CHECK(retry(state, {{"path", "/etc/passwd"}}, 3)["error"]["code"] == -32602);
  json done = retry(state, args, 4);
  CHECK(done["result"]["resultType"] == "complete");
  CHECK(done["result"]["structuredContent"]["path"] == "/tmp/x");
  // Replayed: the approval was used.
  json replay = retry(state, args, 5);
  CHECK(replay["error"]["code"] == -32602);
  CHECK(replay["error"]["message"].get<std::string>().find("used already") != std::string::npos);
  // A decline ends the call without running it.
  std::string state2 = f.post(call).body_json["result"]["requestState"];
  json declined = retry(state2, args, 6, "decline");
  CHECK(declined["result"]["isError"] == true);
  std::string audit = read_file(f.dir.path + "/audit.jsonl");
  CHECK(audit.find("\"outcome\":\"input_required\"") != std::string::npos);
  CHECK(audit.find("\"outcome\":\"state_refused\"") != std::string::npos);
  CHECK(audit.find("\"verdict\":\"approved\"") != std::string::npos);
  CHECK(audit.find("\"verdict\":\"declined\"") != std::string::npos);
}

TEST_CASE("2026: an expired requestState is refused") {
  Fixture f;
  json elicit = {{"elicitation", json::object()}};
  json args = {{"path", "/tmp/y"}};
  json call = modern("tools/call", {{"name", "s__remove"}, {"arguments", args}}, 1, elicit);
  std::string state = f.post(call).body_json["result"]["requestState"];
  std::this_thread::sleep_for(std::chrono::milliseconds(3300));  // approvals.timeout_ms
  json again = modern("tools/call",
                      {{"name", "s__remove"},
                       {"arguments", args},
                       {"requestState", state},
                       {"inputResponses", {{"toolgate_approval", {{"action", "accept"}}}}}},
                      2, elicit);
  json r = f.post(again).body_json;
  CHECK(r["error"]["code"] == -32602);
  CHECK(r["error"]["message"].get<std::string>().find("expired") != std::string::npos);
}

TEST_CASE("2026: subscriptions/listen acknowledges, then announces list changes") {
  TempDir dir;
  dir.file("policy.yaml", kPolicy);
  std::string config = dir.file("c.yaml", kConfig);
  auto gw = Gateway::http(config);
  std::atomic<bool> done{false};
  std::vector<json> events;
  std::mutex mu;
  std::thread listener([&] {
    httplib::Client c("127.0.0.1", gw->port());
    c.set_read_timeout(20, 0);
    json msg =
        modern("subscriptions/listen", {{"notifications", {{"toolsListChanged", true}}}}, 42);
    httplib::Headers h = headers_for(msg);
    h.emplace("Accept", "text/event-stream");
    std::string buf;
    httplib::Request req;
    req.method = "POST";
    req.path = "/mcp";
    req.headers = h;
    req.set_header("Content-Type", "application/json");
    req.body = msg.dump();
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      buf.append(data, n);
      std::lock_guard<std::mutex> lock(mu);
      events = parse_sse(buf);
      return !done.load();
    };
    httplib::Response res;
    httplib::Error err;
    c.send(req, res, err);
  });
  CHECK(eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !events.empty();
  }));
  {
    std::lock_guard<std::mutex> lock(mu);
    REQUIRE_FALSE(events.empty());
    CHECK(events[0]["method"] == "notifications/subscriptions/acknowledged");
    CHECK(events[0]["params"]["notifications"]["toolsListChanged"] == true);
    CHECK(events[0]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == 42);
  }
  // A new tool in the config: the reload announces it on the listen stream.
  std::string more = std::string(kConfig);
  more.insert(more.find("policies:"), "      - name: added\n        command: [cat]\n");
  dir.file("c.yaml", more);
  gw->signal(SIGHUP);
  CHECK(eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& e : events)
      if (e.value("method", "") == "notifications/tools/list_changed")
        return e["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == 42;
    return false;
  }));
  done = true;
  gw->signal(SIGTERM);
  listener.join();
}

TEST_CASE("2026 over stdio: discover, calls and a 2025 session on the same pipe") {
  TempDir dir;
  dir.file("policy.yaml", kPolicy);
  auto gw = Gateway::stdio(dir.file("c.yaml", kConfig));
  json d = gw->roundtrip(modern("server/discover", json::object(), 1));
  CHECK(d["result"]["supportedVersions"][0] == "2026-07-28");
  json listed = gw->roundtrip(modern("tools/list", json::object(), 2));
  CHECK(listed["result"]["cacheScope"] == "private");
  json called = gw->roundtrip(
      modern("tools/call", {{"name", "s__echo"}, {"arguments", {{"region", "eu"}}}}, 3));
  CHECK(called["result"]["structuredContent"]["region"] == "eu");
  CHECK(called["result"]["resultType"] == "complete");
  json bad = gw->roundtrip(modern("ping", json::object(), 4));
  CHECK(bad["error"]["code"] == -32601);
  // The 2025 session is untouched by the stateless requests around it.
  json init = gw->initialize();
  CHECK(init["result"]["protocolVersion"] == "2025-11-25");
  json old_list = gw->roundtrip(request("tools/list", json::object(), 5));
  CHECK_FALSE(old_list["result"].contains("resultType"));
}

TEST_CASE("2026: an OpenAPI parameter marked x-mcp-header must travel in its header too") {
  TempDir dir;
  dir.file("spec.yaml", R"(openapi: 3.0.3
info: {title: regions, version: "1"}
paths:
  /items:
    get:
      operationId: listItems
      parameters:
        - {name: region, in: query, required: true, schema: {type: string}, x-mcp-header: Region}
      responses: {"200": {description: ok}}
)");
  std::string config =
      dir.file("c.yaml", "sources:\n  - {name: api, type: openapi, spec: " + dir.path +
                             "/spec.yaml, base_url: \"http://127.0.0.1:9/v1\"}\n");
  auto gw = Gateway::http(config);
  McpHttp mcp(gw->port());
  json listed =
      mcp.post_raw(modern("tools/list").dump(), {{"MCP-Protocol-Version", "2026-07-28"},
                                                 {"Mcp-Method", "tools/list"},
                                                 {"Accept", "application/json, text/event-stream"}})
          .body_json;
  json props = listed["result"]["tools"][0]["inputSchema"]["properties"];
  CHECK(props["region"]["x-mcp-header"] == "Region");
  json call = modern("tools/call", {{"name", "api__listItems"}, {"arguments", {{"region", "eu"}}}});
  httplib::Headers h = headers_for(call);
  h.emplace("Accept", "application/json, text/event-stream");
  auto refused = mcp.post_raw(call.dump(), h);
  CHECK(refused.status == 400);
  CHECK(refused.body_json["error"]["code"] == -32020);
  h.emplace("Mcp-Param-Region", "eu");
  auto sent = mcp.post_raw(call.dump(), h);
  CHECK(sent.status == 200);  // on to the API (which is not there: a tool error)
  CHECK(sent.body_json["result"]["isError"] == true);
}

TEST_CASE("2026 client in front of a 2025 upstream: its sampling request becomes input_required") {
  TempDir dir;
  std::string path = dir.path + "/gateway.yaml";
  auto gw = Gateway::stdio(
      dir.file("gateway.yaml", "sources:\n  - name: up\n    type: mcp\n    command: [python3, " +
                                   std::string(SOURCE_DIR) + "/tests/testcases/mcp_upstream.py, " +
                                   path + "]\n    timeout_ms: 20000\n"));
  json sampling = {{"sampling", json::object()}};
  json call = modern("tools/call", {{"name", "up__sample"}, {"arguments", {{"prompt", "say yes"}}}},
                     1, sampling);
  json round1 = gw->roundtrip(call);
  const json& ask = round1["result"];
  REQUIRE(ask["resultType"] == "input_required");
  const json& question = ask["inputRequests"]["toolgate_upstream_0"];
  CHECK(question["method"] == "sampling/createMessage");
  CHECK(question["params"]["messages"][0]["content"]["text"] == "say yes");
  std::string state = ask["requestState"];
  json answer = {
      {"role", "assistant"}, {"content", {{"type", "text"}, {"text", "yes"}}}, {"model", "test"}};
  auto retry = [&](const std::string& s, json id, const std::string& tool = "up__sample") {
    json again = modern("tools/call",
                        {{"name", tool},
                         {"arguments", {{"prompt", "say yes"}}},
                         {"inputResponses", {{"toolgate_upstream_0", answer}}},
                         {"requestState", s}},
                        id, sampling);
    return gw->roundtrip(again);
  };
  CHECK(retry(state + "0", 2)["error"]["code"] == -32602);  // no such parked call
  json done = retry(state, 3);
  CHECK(done["result"]["resultType"] == "complete");
  CHECK(done["result"]["content"][0]["text"] == "the client said: yes");
  CHECK(retry(state, 4)["error"]["code"] == -32602);  // used once
  // A client that did not declare sampling is not asked at all.
  json undeclared = modern("tools/call", {{"name", "up__sample"}, {"arguments", {{"prompt", "x"}}}},
                           5, json::object());
  json r = gw->roundtrip(undeclared);
  CHECK_FALSE(r["result"].value("resultType", "") == "input_required");
  // A 2025 session on the same gateway still gets a real sampling request.
  gw->initialize("2025-11-25", sampling);
  gw->send(th::call("up__sample", {{"prompt", "say no"}}, 9));
  std::optional<json> asked;
  for (int i = 0; i < 20 && !asked; ++i) {
    auto m = gw->recv();
    REQUIRE(m);
    if (m->value("method", "") == "sampling/createMessage") asked = m;
  }
  REQUIRE(asked);
}

namespace {

// A gateway with two callers and tools that run on as tasks.
struct TaskFixture {
  TempDir dir;
  std::string marker = "tg-task-" + std::to_string(::getpid());
  std::unique_ptr<Gateway> gw = Gateway::http(
      dir.file("c.yaml",
               "server:\n  tasks: {after_ms: 300, long_running: [s__forever], ttl_ms: 60000}\n"
               "  auth:\n    api_keys:\n"
               "      - {key: alice-key-0123456789, caller: alice}\n"
               "      - {key: bob-key-0123456789ab, caller: bob}\n"
               "sources:\n  - name: s\n    type: script\n    tools:\n"
               "      - name: slow\n        command: [sh, -c, \"sleep 1.5; echo done\"]\n"
               "      - name: quick\n        command: [echo, quick]\n"
               "      - name: forever\n        command: [\"" +
                   testcase("sleep_forever") + "\", \"" + marker +
                   "\"]\n        timeout_ms: 60000\naudit: {path: audit.jsonl}\n"));
  McpHttp alice{gw->port()}, bob{gw->port()};
  json with_tasks = {{"extensions", {{"io.modelcontextprotocol/tasks", json::object()}}}};
  TaskFixture() {
    alice.bearer = "alice-key-0123456789";
    bob.bearer = "bob-key-0123456789ab";
  }
  json post(McpHttp& who, const json& msg) {
    httplib::Headers h = headers_for(msg);
    h.emplace("Accept", "application/json, text/event-stream");
    if (msg["params"].contains("taskId"))
      h.emplace("Mcp-Name", msg["params"]["taskId"].get<std::string>());
    return who.post_raw(msg.dump(), h).body_json;
  }
  json start(const std::string& tool, json caps) {
    return post(alice,
                modern("tools/call", {{"name", tool}, {"arguments", json::object()}}, 1, caps));
  }
  json task_call(McpHttp& who, const std::string& method, const std::string& id) {
    return post(who, modern(method, {{"taskId", id}}, 2, with_tasks));
  }
};

}  // namespace

TEST_CASE("2026 Tasks: a long call becomes a task its caller polls to the result") {
  TaskFixture f;
  json quick = f.start("s__quick", f.with_tasks);
  CHECK(quick["result"]["resultType"] == "complete");  // in time: no task
  json handle = f.start("s__slow", f.with_tasks)["result"];
  REQUIRE(handle["resultType"] == "task");
  CHECK(handle["status"] == "working");
  CHECK(handle["pollIntervalMs"].is_number());
  std::string id = handle["taskId"];
  CHECK(f.task_call(f.alice, "tasks/get", id)["result"]["status"] == "working");
  // Only its caller sees it.
  CHECK(f.task_call(f.bob, "tasks/get", id)["error"]["code"] == -32602);
  CHECK(f.task_call(f.bob, "tasks/cancel", id)["error"]["code"] == -32602);
  json done;
  CHECK(eventually([&] {
    done = f.task_call(f.alice, "tasks/get", id)["result"];
    return done["status"] == "completed";
  }));
  CHECK(done["result"]["content"][0]["text"].get<std::string>().find("done") != std::string::npos);
  // Without the extension, the same call simply runs to its end.
  json plain = f.start("s__slow", json::object());
  CHECK(plain["result"]["resultType"] == "complete");
  // And the tasks methods need the extension declared.
  json undeclared = f.post(f.alice, modern("tasks/get", {{"taskId", id}}, 3));
  CHECK(undeclared["error"]["code"] == -32021);
  std::string audit = read_file(f.dir.path + "/audit.jsonl");
  CHECK(audit.find("\"event\":\"task\"") != std::string::npos);
  CHECK(audit.find("\"status\":\"completed\"") != std::string::npos);
}

TEST_CASE("2026 Tasks: a task cancelled mid-run leaves no process behind") {
  TaskFixture f;
  json handle = f.start("s__forever", f.with_tasks)["result"];
  REQUIRE(handle["resultType"] == "task");
  std::string id = handle["taskId"];
  CHECK(eventually([&] { return count_procs_with(f.marker) > 0; }));
  CHECK(f.task_call(f.alice, "tasks/cancel", id)["result"].is_object());
  CHECK(f.task_call(f.alice, "tasks/get", id)["result"]["status"] == "cancelled");
  CHECK(wait_no_procs_with(f.marker, 5000) == 0);
  CHECK(f.task_call(f.alice, "tasks/get", "no-such-task")["error"]["code"] == -32602);
  std::string audit = read_file(f.dir.path + "/audit.jsonl");
  CHECK(audit.find("\"change\":\"cancelled\"") != std::string::npos);
}
