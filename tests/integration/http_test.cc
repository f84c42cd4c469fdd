// Streamable HTTP: session rules, status codes, limits and streams, over a
// real socket to the real binary (and, for server-to-client requests, to an
// in-process server so the test can start the request).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <regex>

#include "gateway/catalog/adapter.h"
#include "gateway/gateway.h"
#include "gateway/transport/transport.h"
#include "harness.h"

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
  CHECK(batch.body_json["error"]["message"].get<std::string>().find("2025-03-26") !=
        std::string::npos);
  // Still serving.
  CHECK(f.mcp.post(request("ping")).status == 200);
}

TEST_CASE("http: a 2025-03-26 session takes JSON-RPC batches and answers with one array") {
  HttpFixture f;
  f.mcp.initialize("2025-03-26");
  httplib::Headers h = {{"Accept", "application/json, text/event-stream"},
                        {"Mcp-Session-Id", f.mcp.session},
                        {"MCP-Protocol-Version", "2025-03-26"}};
  json batch = json::array({request("ping", nullptr, "a"),
                            {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
                            call("s__echo", {{"n", 5}}, "b"),
                            json(7),
                            request("initialize", json::object(), "c")});
  auto r = f.mcp.post_raw(batch.dump(), h);
  REQUIRE(r.status == 200);
  REQUIRE(r.body_json.is_array());
  REQUIRE(r.body_json.size() == 4);
  CHECK(r.body_json[0]["id"] == "a");
  CHECK(r.body_json[0]["result"] == json::object());
  CHECK(r.body_json[1]["id"] == "b");
  CHECK(r.body_json[1]["result"]["structuredContent"]["n"] == 5);
  CHECK(r.body_json[2]["error"]["code"] == -32600);  // 7 is no message
  CHECK(r.body_json[3]["id"] == "c");
  CHECK(r.body_json[3]["error"]["message"] == "initialize must not be part of a JSON-RPC batch");

  json only_notes = json::array({{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}});
  CHECK(f.mcp.post_raw(only_notes.dump(), h).status == 202);
  auto empty = f.mcp.post_raw("[]", h);
  CHECK(empty.status == 200);
  CHECK(empty.body_json["error"]["code"] == -32600);
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
  toolgate::Gateway gateway(cfg, reg);
  HttpTransport transport(gateway, "127.0.0.1", 0);
  REQUIRE(transport.bind());
  std::thread serving([&] { transport.run(); });

  McpHttp mcp(transport.port());
  mcp.initialize();
  auto session = gateway.sessions().find(mcp.session);
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
  for (int i = 0; i < 200 && !session->default_stream(); ++i) {
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

namespace {

// A GET stream on a raw socket; returns the fd once the response head and
// its first bytes arrived, and the status code in *status.
int open_raw_stream(int port, const std::string& session, int* status) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  std::string req =
      "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
      "Mcp-Session-Id: " +
      session + "\r\n\r\n";
  REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == ssize_t(req.size()));
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[2048];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  *status = n > 12 ? std::atoi(buf + 9) : 0;
  return fd;
}

}  // namespace

TEST_CASE(
    "http: GET streams beyond http_threads are held while POSTs are answered, the cap is "
    "http_max_threads - http_threads") {
  TempDir dir;
  auto gw = Gateway::http(
      dir.file("c.yaml", std::string("server: {http_threads: 4, http_max_threads: 28}\n") +
                             std::string(kConfig).substr(std::string(kConfig).find("sources:"))));
  std::vector<int> fds;
  // 24 streams: six times the ready threads, every one of them answered.
  for (int i = 0; i < 24; ++i) {
    McpHttp m(gw->port());
    m.initialize();
    int status = 0;
    fds.push_back(open_raw_stream(gw->port(), m.session, &status));
    CHECK(status == 200);
  }
  // While they are all held, another session's call is served at once.
  McpHttp caller(gw->port());
  caller.initialize();
  auto reply = caller.post(call("s__echo", {{"x", 1}}));
  INFO(reply.body);
  CHECK(reply.status == 200);
  CHECK(reply.body_json["result"]["structuredContent"]["x"] == 1);
  // /metrics shows the streams and the threads that hold them.
  std::string metrics = caller.get("/metrics").body;
  CHECK(metrics.find("\ntoolgate_get_streams_open 24\n") != std::string::npos);
  auto at = metrics.find("\ntoolgate_http_threads ");
  REQUIRE(at != std::string::npos);
  CHECK(std::atoi(metrics.c_str() + at + 23) >= 25);
  // The 25th stream would leave fewer than http_threads threads for POSTs.
  McpHttp extra(gw->port());
  extra.initialize();
  int status = 0;
  fds.push_back(open_raw_stream(gw->port(), extra.session, &status));
  CHECK(status == 503);
  // Closing one stream makes room for another.
  ::close(fds.front());
  fds.erase(fds.begin());
  bool reopened = false;
  for (int i = 0; i < 100 && !reopened; ++i) {
    int fd = open_raw_stream(gw->port(), extra.session, &status);
    fds.push_back(fd);
    reopened = status == 200;
    if (!reopened) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(reopened);
  for (int fd : fds) ::close(fd);
}
