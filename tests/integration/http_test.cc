// Streamable HTTP: session rules, status codes, limits and streams, over a
// real socket to the real binary (and, for server-to-client requests, to an
// in-process server so the test can start the request).
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <regex>

#include "harness.h"
#include "toolgate/adapter.h"
#include "toolgate/server.h"
#include "toolgate/transport.h"

using namespace th;

namespace {

const char* kConfig =
    "server: {max_body_bytes: 1048576}\n"
    "sources:\n  - name: s\n    type: script\n    tools:\n"
    "      - name: echo\n        command: [cat]\n        input_schema: {type: object}\n"
    "      - name: slow\n        command: [sh, -c, \"sleep 1.2; echo '{\\\"slept\\\": true}'\"]\n";

struct HttpFixture {
  TempDir dir;
  std::unique_ptr<Gateway> gw = Gateway::http(dir.file("c.yaml", kConfig));
  McpHttp mcp{gw->port()};
};

}  // namespace

TEST_CASE("http: initialize creates a session with a random visible-ASCII id") {
  HttpFixture f;
  json init = f.mcp.initialize("2025-06-18");
  CHECK(init["result"]["protocolVersion"] == "2025-06-18");
  CHECK(f.mcp.session.size() >= 32);
  for (char c : f.mcp.session) CHECK((c >= 0x21 && c <= 0x7E));
  McpHttp other(f.gw->port());
  other.initialize();
  CHECK(other.session != f.mcp.session);
}

TEST_CASE("http: session rules (400 without id, 404 unknown or ended, DELETE ends)") {
  HttpFixture f;
  f.mcp.initialize();
  auto missing = f.mcp.post(request("ping"), {}, false);
  CHECK(missing.status == 400);
  auto unknown = f.mcp.post(request("ping"), {{"Mcp-Session-Id", "not-a-session"}}, false);
  CHECK(unknown.status == 404);
  CHECK(f.mcp.post(request("ping")).status == 200);
  CHECK(f.mcp.del().status == 200);
  CHECK(f.mcp.post(request("ping")).status == 404);
  CHECK(f.mcp.del().status == 404);
}

TEST_CASE("http: notifications and responses get 202 with no body") {
  HttpFixture f;
  f.mcp.initialize();
  auto n = f.mcp.post(
      {{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"}, {"params", {{"requestId", 99}}}});
  CHECK(n.status == 202);
  CHECK(n.body.empty());
  auto r = f.mcp.post({{"jsonrpc", "2.0"}, {"id", "unknown"}, {"result", json::object()}});
  CHECK(r.status == 202);
}

TEST_CASE("http: MCP-Protocol-Version header") {
  HttpFixture f;
  f.mcp.initialize();
  CHECK(f.mcp.post(request("ping"), {{"MCP-Protocol-Version", "2025-11-25"}}).status == 200);
  CHECK(f.mcp.post(request("ping"), {{"MCP-Protocol-Version", "2025-03-26"}}).status == 200);
  CHECK(f.mcp.post(request("ping"), {{"MCP-Protocol-Version", "1999-01-01"}}).status == 400);
  CHECK(f.mcp.post(request("ping")).status == 200);  // missing: assumed 2025-03-26
}

TEST_CASE("http: Host and Origin validation against DNS rebinding") {
  HttpFixture f;
  json init = request("initialize", {{"protocolVersion", "2025-11-25"},
                                     {"capabilities", json::object()},
                                     {"clientInfo", {{"name", "t"}, {"version", "1"}}}});
  CHECK(f.mcp.post(init, {{"Host", "evil.example.com"}}, false).status == 403);
  CHECK(f.mcp.post(init, {{"Origin", "http://evil.example.com"}}, false).status == 403);
  CHECK(f.mcp.post(init, {{"Origin", "http://localhost:3000"}}, false).status == 200);
  CHECK(f.mcp.post(init, {{"Host", "localhost:" + std::to_string(f.gw->port())}}, false).status ==
        200);
}

TEST_CASE("http: malformed, oversized and deeply nested bodies get clean errors") {
  HttpFixture f;
  f.mcp.initialize();
  httplib::Headers h = {{"Accept", "application/json, text/event-stream"},
                        {"Mcp-Session-Id", f.mcp.session}};
  auto bad = f.mcp.post_raw("{nope", h);
  CHECK(bad.status == 400);
  CHECK(bad.body_json["error"]["code"] == -32700);
  auto deep = f.mcp.post_raw(std::string(100000, '[') + std::string(100000, ']'), h);
  CHECK(deep.status == 400);
  CHECK(deep.body_json["error"]["code"] == -32700);
  auto big = f.mcp.post_raw(std::string(2 * 1024 * 1024, ' '), h);
  CHECK(big.status == 413);
  auto batch = f.mcp.post_raw("[" + request("ping").dump() + "]", h);
  CHECK(batch.status == 400);
  CHECK(batch.body_json["error"]["code"] == -32600);
  // Still serving.
  CHECK(f.mcp.post(request("ping")).status == 200);
}

TEST_CASE("http: content negotiation") {
  HttpFixture f;
  f.mcp.initialize();
  auto wrong_type =
      f.mcp.client.Post("/mcp", {{"Accept", "application/json"}, {"Mcp-Session-Id", f.mcp.session}},
                        request("ping").dump(), "text/plain");
  REQUIRE(wrong_type);
  CHECK(wrong_type->status == 415);
  auto wrong_accept = f.mcp.post(request("ping"), {{"Accept", "text/html"}});
  // httplib merges headers; the fixture's Accept is replaced by this one.
  CHECK((wrong_accept.status == 406 || wrong_accept.status == 200));
  auto get_json =
      f.mcp.get("/mcp", {{"Accept", "application/json"}, {"Mcp-Session-Id", f.mcp.session}});
  CHECK(get_json.status == 406);
  auto put = f.mcp.client.Put("/mcp", "{}", "application/json");
  REQUIRE(put);
  CHECK(put->status == 405);
}

TEST_CASE("http: tools/call answers JSON, or SSE with progress when asked") {
  HttpFixture f;
  f.mcp.initialize();
  auto plain = f.mcp.post(call("s__echo", {{"k", "v"}}));
  CHECK(plain.status == 200);
  CHECK(plain.header("Content-Type").find("application/json") != std::string::npos);
  CHECK(plain.body_json["result"]["structuredContent"]["k"] == "v");

  json c = call("s__slow", json::object(), 5);
  c["params"]["_meta"] = {{"progressToken", 77}};
  auto streamed = f.mcp.post(c);
  CHECK(streamed.status == 200);
  CHECK(streamed.header("Content-Type").find("text/event-stream") != std::string::npos);
  REQUIRE(streamed.events.size() >= 3);
  CHECK(streamed.events.front()["method"] == "notifications/progress");
  CHECK(streamed.events.front()["params"]["progressToken"] == 77);
  CHECK(streamed.events.back()["id"] == 5);
  CHECK(streamed.events.back()["result"]["structuredContent"]["slept"] == true);
}

TEST_CASE("http: health endpoints") {
  HttpFixture f;
  CHECK(f.mcp.get("/healthz").status == 200);
  auto ready = f.mcp.get("/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.body_json["tools"] == 2);
}

TEST_CASE(
    "http: GET stream delivers list_changed after a reload, and only one stream per session") {
  HttpFixture f;
  f.mcp.initialize();
  std::atomic<bool> got{false};
  std::string seen;
  std::mutex mu;
  httplib::Client sse("127.0.0.1", f.gw->port());
  std::thread reader([&] {
    sse.Get("/mcp", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", f.mcp.session}},
            [&](const char* data, size_t n) {
              std::lock_guard<std::mutex> l(mu);
              seen.append(data, n);
              if (seen.find("notifications/tools/list_changed") != std::string::npos) {
                got = true;
                return false;
              }
              return true;
            });
  });
  // Wait for the stream to open, then prove a second GET is refused.
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> l(mu);
      if (seen.find("stream open") != std::string::npos) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(f.mcp.get("/mcp", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", f.mcp.session}})
            .status == 409);
  f.dir.file("c.yaml", std::string(kConfig) + "      - name: added\n        command: [cat]\n");
  f.gw->signal(SIGHUP);
  for (int i = 0; i < 500 && !got; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(got.load());
  sse.stop();
  reader.join();
}

TEST_CASE("http: a server-to-client request travels on the GET stream and its answer comes back") {
  using namespace toolgate;
  TempDir dir;
  auto cfg = load_config(dir.file("c.yaml", kConfig));
  AdapterRegistry reg;
  register_builtin_adapters(reg);
  Server server(cfg, reg);
  HttpTransport transport(server, "127.0.0.1", 0);
  REQUIRE(transport.bind());
  std::thread serving([&] { transport.run(); });

  McpHttp mcp(transport.port());
  mcp.initialize();
  auto session = server.find_session(mcp.session);
  REQUIRE(session);

  // The "client": reads its GET stream, answers any request by POSTing.
  std::atomic<int> answered{0};
  httplib::Client sse("127.0.0.1", transport.port());
  std::thread client([&] {
    std::string buf;
    sse.Get("/mcp", {{"Accept", "text/event-stream"}, {"Mcp-Session-Id", mcp.session}},
            [&](const char* data, size_t n) {
              buf.append(data, n);
              for (auto& ev : parse_sse(buf)) {
                if (ev.value("method", "") == "elicitation/create") {
                  McpHttp answer(transport.port());
                  answer.session = mcp.session;
                  auto r = answer.post(
                      {{"jsonrpc", "2.0"},
                       {"id", ev["id"]},
                       {"result", {{"action", "accept"}, {"content", {{"ok", true}}}}}});
                  CHECK(r.status == 202);
                  ++answered;
                  return false;
                }
              }
              return true;
            });
  });
  // Wait until the GET stream is attached to the session.
  for (int i = 0; i < 200 && !session->default_outbound(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto result = session->request_client(
      "elicitation/create", {{"message", "Approve?"}, {"requestedSchema", {{"type", "object"}}}},
      5000, nullptr);
  REQUIRE_MESSAGE(bool(result), (result ? std::string() : result.error().message));
  CHECK((*result)["action"] == "accept");
  CHECK((*result)["content"]["ok"] == true);
  client.join();
  CHECK(answered == 1);

  // With nobody answering, the request times out cleanly.
  auto timed_out = session->request_client("elicitation/create", json::object(), 200, nullptr);
  CHECK_FALSE(timed_out);
  mcp.client.stop();  // close the keep-alive connection so stop() need not wait for it
  transport.stop();
  serving.join();
}
