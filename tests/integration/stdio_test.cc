// The stdio transport and the JSON-RPC layer, over the real binary's pipes.
#include <doctest/doctest.h>
#include <signal.h>

#include <fstream>

#include "harness.h"

using namespace th;

namespace {

std::string config_with(int tools, const std::string& server = "") {
  std::string c = server + "sources:\n  - name: s\n    type: script\n    tools:\n";
  for (int i = 0; i < tools; ++i) {
    c += "      - name: tool" + std::to_string(i) + "\n        description: tool number " +
         std::to_string(i) + "\n        command: [cat]\n        input_schema: {type: object}\n";
  }
  return c;
}

int error_code(const json& r) {
  REQUIRE_MESSAGE(r.contains("error"), r.dump());
  return r["error"]["code"].get<int>();
}

}  // namespace

TEST_CASE("stdio: framing of newline-delimited messages") {
  TempDir dir;
  auto gw = Gateway::stdio(dir.file("c.yaml", config_with(1)));
  gw->initialize();
  SUBCASE("two messages in one write, answered in order") {
    gw->send_raw(request("ping", nullptr, 1).dump() + "\n" + request("ping", nullptr, 2).dump() +
                 "\n");
    CHECK((*gw->recv())["id"] == 1);
    CHECK((*gw->recv())["id"] == 2);
  }
  SUBCASE("one message split across writes") {
    std::string m = request("ping", nullptr, "split").dump() + "\n";
    gw->send_raw(m.substr(0, 10));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    gw->send_raw(m.substr(10));
    CHECK((*gw->recv())["id"] == "split");
  }
  SUBCASE("blank lines are ignored and CRLF is accepted") {
    gw->send_raw("\n  \n" + request("ping", nullptr, "crlf").dump() + "\r\n");
    CHECK((*gw->recv())["id"] == "crlf");
  }
  SUBCASE("a final line without newline is answered at end of input") {
    gw->send_raw(request("ping", nullptr, "last").dump());
    gw->close_stdin();
    auto m = gw->recv();
    REQUIRE(m);
    CHECK((*m)["id"] == "last");
    CHECK(gw->wait_exit(5000) == 0);
  }
}

TEST_CASE("stdio: a 2025-03-26 session takes a batch and a later revision refuses it") {
  TempDir dir;
  auto gw = Gateway::stdio(dir.file("c.yaml", config_with(1)));
  gw->initialize("2025-03-26");
  gw->send_raw(json::array({request("ping", nullptr, "p"),
                            call("s__tool0", json::object(), "t"),
                            {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}})
                   .dump() +
               "\n");
  auto replies = gw->recv();
  REQUIRE(replies);
  REQUIRE(replies->is_array());
  REQUIRE(replies->size() == 2);
  CHECK((*replies)[0]["id"] == "p");
  CHECK((*replies)[1]["id"] == "t");
  CHECK((*replies)[1].contains("result"));

  auto later = Gateway::stdio(dir.file("d.yaml", config_with(1)));
  later->initialize("2025-06-18");
  later->send_raw("[" + request("ping").dump() + "]\n");
  auto refused = later->recv();
  REQUIRE(refused);
  CHECK((*refused)["error"]["code"] == -32600);
  CHECK((*refused)["error"]["message"].get<std::string>().find("this session uses 2025-06-18") !=
        std::string::npos);
}

TEST_CASE("stdio: each kind of bad JSON-RPC message gets its error code") {
  TempDir dir;
  auto gw = Gateway::stdio(dir.file("c.yaml", config_with(1)));
  gw->initialize();
  struct Case {
    const char* what;
    std::string raw;
    int code;
  };
  const Case cases[] = {
      {"not JSON", "{this is not json", -32700},
      {"invalid UTF-8 in a string",
       "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"x\":\"\xff\xfe\"}", -32700},
      {"100,000 nested brackets", std::string(100000, '[') + std::string(100000, ']'), -32700},
      {"a batch", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", -32600},
      {"missing jsonrpc", "{\"id\":1,\"method\":\"ping\"}", -32600},
      {"wrong jsonrpc version", "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", -32600},
      {"null id", "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", -32600},
      {"fractional id", "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", -32600},
      {"method not a string", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", -32600},
      {"params an array", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":[1]}",
       -32600},
      {"a scalar", "42", -32600},
      {"unknown method", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"no/such\"}", -32601},
      {"unknown tool", call("nope__nothing").dump(), -32602},
      {"tools/call without a name",
       "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}", -32602},
      {"arguments not an object",
       "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/"
       "call\",\"params\":{\"name\":\"s__tool0\",\"arguments\":[1]}}",
       -32602},
      {"bad cursor",
       "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"bogus\"}}",
       -32602},
      {"bad log level",
       "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"logging/"
       "setLevel\",\"params\":{\"level\":\"loud\"}}",
       -32602},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    gw->send_raw(c.raw + "\n");
    auto m = gw->recv();
    REQUIRE(m);
    CHECK(error_code(*m) == c.code);
    CHECK((*m)["jsonrpc"] == "2.0");
  }
  // The session still works after all of that.
  CHECK(gw->roundtrip(request("ping", nullptr, "ok"))["result"] == json::object());
}

TEST_CASE("stdio: an oversized line is refused and the stream recovers") {
  TempDir dir;
  auto gw = Gateway::stdio(dir.file("c.yaml", config_with(1, "server: {max_body_bytes: 65536}\n")));
  gw->initialize();
  gw->send_raw("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"pad\":\"" +
               std::string(300000, 'x') + "\"}\n");
  auto m = gw->recv();
  REQUIRE(m);
  CHECK(error_code(*m) == -32700);
  CHECK(gw->roundtrip(request("ping", nullptr, "after"))["result"] == json::object());
}

TEST_CASE("stdio: lifecycle rules") {
  TempDir dir;
  auto gw = Gateway::stdio(dir.file("c.yaml", config_with(1)));
  SUBCASE("ping works before initialize, tools/list does not") {
    CHECK(gw->roundtrip(request("ping"))["result"] == json::object());
    CHECK(error_code(gw->roundtrip(request("tools/list", nullptr, 2))) == -32600);
  }
  SUBCASE("version negotiation") {
    CHECK(gw->initialize("2025-03-26")["result"]["protocolVersion"] == "2025-03-26");
    CHECK(error_code(gw->roundtrip(
              request("initialize", {{"protocolVersion", "2025-06-18"}}, 3))) == -32600);
  }
  SUBCASE("an unknown version gets the latest") {
    json r = gw->initialize("1999-01-01");
    CHECK(r["result"]["protocolVersion"] == "2025-11-25");
    CHECK(r["result"]["capabilities"]["tools"]["listChanged"] == true);
    CHECK(r["result"]["capabilities"].contains("logging"));
    CHECK(r["result"]["serverInfo"]["name"] == "toolgate");
  }
}

TEST_CASE("stdio: tools/list pages with cursors") {
  TempDir dir;
  auto gw = Gateway::stdio(dir.file("c.yaml", config_with(5, "server: {page_size: 2}\n")));
  gw->initialize();
  std::vector<std::string> names;
  json cursor;
  int pages = 0;
  do {
    json params = cursor.is_null() ? json::object() : json{{"cursor", cursor}};
    json r = gw->roundtrip(request("tools/list", params, pages));
    for (auto& t : r["result"]["tools"]) names.push_back(t["name"]);
    cursor = r["result"].value("nextCursor", json());
    ++pages;
  } while (!cursor.is_null() && pages < 10);
  CHECK(pages == 3);
  CHECK(names ==
        std::vector<std::string>{"s__tool0", "s__tool1", "s__tool2", "s__tool3", "s__tool4"});
}

TEST_CASE("stdio: logging/setLevel controls notifications/message") {
  TempDir dir;
  auto gw = Gateway::stdio(dir.file("c.yaml", config_with(1)));
  gw->initialize();
  gw->roundtrip(call("s__tool0", {{"x", 1}}, 1));
  auto count_logs = [&] {
    int n = 0;
    for (auto& m : gw->notifications) n += m["method"] == "notifications/message";
    return n;
  };
  CHECK(count_logs() == 0);  // default level is warning; a good call logs below it
  CHECK(gw->roundtrip(request("logging/setLevel", {{"level", "debug"}}, 2))["result"] ==
        json::object());
  gw->roundtrip(call("s__tool0", {{"x", 1}}, 3));
  CHECK(count_logs() >= 2);
  bool saw_finish = false;
  for (auto& m : gw->notifications) {
    if (m["method"] == "notifications/message" && m["params"]["data"]["event"] == "call_finished") {
      saw_finish = true;
      CHECK(m["params"]["level"] == "info");
      CHECK(m["params"]["data"]["outcome"] == "ok");
    }
  }
  CHECK(saw_finish);
}

TEST_CASE("stdio: progress notifications for a call with a progressToken") {
  TempDir dir;
  std::string cfg =
      "sources:\n  - name: s\n    type: script\n    tools:\n"
      "      - name: slow\n        command: [sh, -c, \"sleep 2.3; echo done\"]\n";
  auto gw = Gateway::stdio(dir.file("c.yaml", cfg));
  gw->initialize();
  json c = call("s__slow", json::object(), 9);
  c["params"]["_meta"] = {{"progressToken", "tok"}};
  json r = gw->roundtrip(c);
  CHECK(r["result"]["content"][0]["text"] == "done\n");
  std::vector<double> progress;
  for (auto& m : gw->notifications) {
    if (m["method"] != "notifications/progress") continue;
    CHECK(m["params"]["progressToken"] == "tok");
    progress.push_back(m["params"]["progress"].get<double>());
  }
  REQUIRE(progress.size() >= 2);
  for (size_t i = 1; i < progress.size(); ++i) CHECK(progress[i] > progress[i - 1]);
}

TEST_CASE("stdio: SIGHUP reloads the catalog and notifies, and a broken file keeps the old one") {
  TempDir dir;
  std::string path = dir.file("c.yaml", config_with(1));
  auto gw = Gateway::stdio(path);
  gw->initialize();
  auto list = [&](int id) {
    std::vector<std::string> names;
    json r = gw->roundtrip(request("tools/list", nullptr, id));
    for (auto& t : r["result"]["tools"]) names.push_back(t["name"]);
    return names;
  };
  CHECK(list(1).size() == 1);

  dir.file("c.yaml", config_with(3));
  gw->signal(SIGHUP);
  auto m = gw->recv(5000);
  REQUIRE(m);
  CHECK((*m)["method"] == "notifications/tools/list_changed");
  CHECK(list(2).size() == 3);

  dir.file("c.yaml", "sources:\n  - name: s\n    type: script\n    tools: [{name: x}]\n");
  gw->signal(SIGHUP);
  // The rejection is logged with file:line:col; the old catalog stays.
  for (int i = 0; i < 100 && gw->stderr_text().find("reload rejected") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(gw->stderr_text().find("reload rejected") != std::string::npos);
  CHECK(gw->stderr_text().find("c.yaml:4:") != std::string::npos);
  CHECK(list(3).size() == 3);
}

TEST_CASE("stdio: stdout carries only JSON-RPC, logs go to stderr") {
  TempDir dir;
  auto gw = Gateway::stdio(dir.file("c.yaml", config_with(1)));
  gw->initialize();
  gw->roundtrip(call("s__tool0", {{"a", 1}}, 2));
  gw->close_stdin();
  CHECK(gw->wait_exit(5000) == 0);
  // recv() fails the test on any non-JSON stdout line; drain what is left.
  while (auto m = gw->recv(200)) CHECK((*m)["jsonrpc"] == "2.0");
  CHECK(gw->stderr_text().find("\"msg\":\"call finished\"") != std::string::npos);
}
