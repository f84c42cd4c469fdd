// One MCP session driven through Session::handle() (gateway/protocol/session.cc).
// No test here spawns a worker: tools/call is only exercised up to argument
// validation; real calls are covered by the integration tests.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "gateway/gateway.h"
#include "gateway/protocol/jsonrpc.h"

using namespace toolgate;
using namespace std::chrono_literals;

namespace {

const char* kConfig = R"(server: {page_size: 1}
sources:
  - name: s
    type: script
    tools:
      - name: one
        command: [/bin/cat]
        input_schema: {type: object, properties: {text: {type: string}}, required: [text]}
      - {name: two, command: [/bin/cat]}
      - {name: three, command: [/bin/cat]}
)";

// Records what the session sends; lets a test wait for a message.
class FakeStream : public ClientStream {
 public:
  bool send(const json& msg) override {
    std::lock_guard<std::mutex> lock(mu_);
    sent_.push_back(msg);
    cv_.notify_all();
    return true;
  }
  void close() override {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  std::vector<json> sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }
  bool closed() {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }
  // The first sent message with `method`, waiting up to `timeout`.
  std::optional<json> wait_for(const std::string& method, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<json> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& m : sent_)
        if (!found && m.value("method", "") == method) found = m;
      return found.has_value();
    });
    return found;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<json> sent_;
  bool closed_ = false;
};

struct Fixture {
  AdapterRegistry registry;
  std::unique_ptr<Gateway> gateway;
  std::shared_ptr<Session> session;
  std::shared_ptr<FakeStream> out = std::make_shared<FakeStream>();
  int next_id = 1;

  Fixture() {
    register_builtin_adapters(registry);
    gateway = std::make_unique<Gateway>(parse_config(kConfig, "test.yaml"), registry);
    session = gateway->open_session({"unit", {"tester"}});
    session->set_default_stream(out);
  }
  ~Fixture() { session->close(); }

  json call(const std::string& method, json params = json::object()) {
    json msg = make_request(next_id++, method, std::move(params));
    auto reply = session->handle(msg, nullptr);
    REQUIRE(reply.has_value());
    CHECK((*reply)["id"] == msg["id"]);
    return *reply;
  }
  json initialize(const std::string& version = "2025-06-18") {
    return call("initialize", {{"protocolVersion", version},
                               {"capabilities", {{"elicitation", json::object()}}},
                               {"clientInfo", {{"name", "unit"}, {"version", "0"}}}});
  }
  int error_code(const json& reply) { return reply.at("error").at("code").get<int>(); }
};

// Runs request_client on its own thread and waits until the request is out.
struct Pending {
  std::shared_ptr<Session> session;
  std::optional<Result<json>> result;
  bool threw = false;
  json sent;  // the request as the client saw it; null if it never came
  std::thread thread;

  Pending(Fixture& f, const std::string& method, uint64_t timeout_ms) : session(f.session) {
    thread = std::thread([this, method, timeout_ms] {
      try {
        result = session->request_client(method, {{"message", "Proceed?"}}, timeout_ms, nullptr);
      } catch (const std::exception&) {
        threw = true;
      }
    });
    if (auto m = f.out->wait_for(method, 2000ms)) sent = *m;
  }
  ~Pending() {
    if (thread.joinable()) {  // a failed check left the request pending
      session->close();
      thread.join();
    }
  }
  Result<json> finish() {
    thread.join();
    REQUIRE(result.has_value());
    return *result;
  }
};

}  // namespace

TEST_CASE("initialize negotiates a supported protocol version") {
  for (const char* v : {"2025-03-26", "2025-06-18", "2025-11-25"}) {
    CAPTURE(v);
    Fixture f;
    json reply = f.initialize(v);
    CHECK(reply["result"]["protocolVersion"] == v);
    CHECK(f.session->protocol_version() == v);
    CHECK(f.session->initialized());
  }
}

TEST_CASE("initialize answers the latest version to an unknown one") {
  Fixture f;
  json r = f.initialize("1999-01-01")["result"];
  CHECK(r["protocolVersion"] == "2025-11-25");
  CHECK(r["capabilities"]["tools"]["listChanged"] == true);
  CHECK(r["serverInfo"]["name"] == "toolgate");
  CHECK(f.session->client_supports("elicitation"));
  CHECK_FALSE(f.session->client_supports("sampling"));
}

TEST_CASE("initialize without a protocolVersion string is invalid params") {
  Fixture f;
  CHECK(f.error_code(f.call("initialize", json::object())) == rpc::kInvalidParams);
  CHECK(f.error_code(f.call("initialize", {{"protocolVersion", 20250618}})) == rpc::kInvalidParams);
  CHECK_FALSE(f.session->initialized());
}

TEST_CASE("requests before initialize are rejected except ping") {
  Fixture f;
  CHECK(f.error_code(f.call("tools/list")) == rpc::kInvalidRequest);
  CHECK(f.error_code(f.call("tools/call", {{"name", "s__two"}})) == rpc::kInvalidRequest);
  CHECK(f.call("ping")["result"] == json::object());
}

TEST_CASE("a second initialize is an invalid request") {
  Fixture f;
  f.initialize();
  CHECK(f.error_code(f.initialize("2025-11-25")) == rpc::kInvalidRequest);
  CHECK(f.session->protocol_version() == "2025-06-18");
}

TEST_CASE("tools/list pages through the catalog with cursors") {
  Fixture f;
  f.initialize();
  std::vector<std::string> seen;
  json params = json::object();
  for (int page = 0; page < 3; ++page) {
    json r = f.call("tools/list", params)["result"];
    REQUIRE(r["tools"].size() == 1);
    seen.push_back(r["tools"][0]["name"]);
    CHECK(r.contains("nextCursor") == (page < 2));  // the last page has none
    params = {{"cursor", r.value("nextCursor", json())}};
  }
  CHECK(seen == std::vector<std::string>{"s__one", "s__two", "s__three"});
}

TEST_CASE("tools/list rejects malformed or out-of-range cursors") {
  Fixture f;
  f.initialize();
  for (json cursor : {json("garbage"), json("tg1.999"), json(42), json("tg1."), json("tg1.-1")}) {
    CAPTURE(cursor.dump());
    CHECK(f.error_code(f.call("tools/list", {{"cursor", cursor}})) == rpc::kInvalidParams);
  }
}

TEST_CASE("logging/setLevel validates the level and filters client logs") {
  Fixture f;
  f.initialize();
  CHECK(f.error_code(f.call("logging/setLevel", {{"level", "loud"}})) == rpc::kInvalidParams);
  CHECK(f.error_code(f.call("logging/setLevel", json::object())) == rpc::kInvalidParams);
  CHECK(f.call("logging/setLevel", {{"level", "error"}})["result"] == json::object());

  // A request's log messages reach the client through its session.
  RequestContext rq;
  rq.peer = f.session.get();
  rq.log(McpLevel::info, "dropped");
  rq.log(McpLevel::critical, "kept");
  auto sent = f.out->sent();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0] ==
        make_notification("notifications/message",
                          {{"level", "critical"}, {"logger", "toolgate"}, {"data", "kept"}}));
}

TEST_CASE("an unknown method is method not found") {
  Fixture f;
  f.initialize();
  CHECK(f.error_code(f.call("resources/teleport")) == rpc::kMethodNotFound);
}

TEST_CASE("invalid messages get an invalid request error with a null id") {
  Fixture f;
  auto reply =
      f.session->handle(json::parse(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])"), nullptr);
  REQUIRE(reply.has_value());
  CHECK((*reply)["id"].is_null());
  CHECK((*reply)["error"]["code"] == rpc::kInvalidRequest);
  CHECK_FALSE(f.session->handle(make_notification("notifications/initialized", nullptr), nullptr));
}

TEST_CASE("tools/call for an unknown tool or without a name is invalid params") {
  Fixture f;
  f.initialize();
  CHECK(f.error_code(f.call("tools/call", {{"name", "s__nope"}})) == rpc::kInvalidParams);
  CHECK(f.error_code(f.call("tools/call", {{"arguments", json::object()}})) == rpc::kInvalidParams);
  CHECK(f.error_code(f.call("tools/call", {{"name", "s__one"}, {"arguments", json::array()}})) ==
        rpc::kInvalidParams);
}

TEST_CASE("tools/call with arguments that fail the input schema returns isError") {
  Fixture f;
  f.initialize();
  json r = f.call("tools/call", {{"name", "s__one"}, {"arguments", {{"text", 5}}}});
  REQUIRE(r.contains("result"));
  CHECK(r["result"]["isError"] == true);
  std::string text = r["result"]["content"][0]["text"];
  CHECK(text.find("/text") != std::string::npos);
  json missing = f.call("tools/call", {{"name", "s__one"}, {"arguments", json::object()}});
  CHECK(missing["result"]["isError"] == true);
}

TEST_CASE("request_client returns the client's result") {
  Fixture f;
  f.initialize();
  Pending p(f, "elicitation/create", 2000);
  REQUIRE(p.sent.is_object());
  CHECK(p.sent["params"]["message"] == "Proceed?");
  REQUIRE(valid_id(p.sent["id"]));
  json response = {{"jsonrpc", "2.0"}, {"id", p.sent["id"]}, {"result", {{"action", "accept"}}}};
  CHECK_FALSE(f.session->handle(response, nullptr).has_value());
  auto r = p.finish();
  REQUIRE(r);
  CHECK(*r == json{{"action", "accept"}});
}

TEST_CASE("request_client turns an error response into an Error with its code") {
  Fixture f;
  f.initialize();
  Pending p(f, "elicitation/create", 2000);
  REQUIRE(p.sent.is_object());
  f.session->handle(make_error(p.sent["id"], -12345, "user declined"), nullptr);
  auto r = p.finish();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == -12345);
  CHECK(r.error().message == "user declined");
}

TEST_CASE("request_client survives a malformed error object from the client") {
  Fixture f;
  f.initialize();
  Pending p(f, "elicitation/create", 2000);
  REQUIRE(p.sent.is_object());
  json bad = {
      {"jsonrpc", "2.0"}, {"id", p.sent["id"]}, {"error", {{"code", "nope"}, {"message", 5}}}};
  f.session->handle(bad, nullptr);
  p.thread.join();
  CHECK_FALSE(p.threw);
  REQUIRE(p.result.has_value());
  CHECK_FALSE(static_cast<bool>(*p.result));
}

TEST_CASE("request_client times out when the client never answers") {
  Fixture f;
  f.initialize();
  auto start = std::chrono::steady_clock::now();
  auto r = f.session->request_client("elicitation/create", {}, 100, nullptr);
  auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r);
  CHECK(r.error().code == rpc::kRequestTimeout);
  CHECK(elapsed >= 90ms);
  CHECK(elapsed < 5s);
  // A late answer to the timed-out request is ignored.
  auto sent = f.out->wait_for("elicitation/create", 0ms);
  REQUIRE(sent.has_value());
  CHECK_FALSE(f.session->handle(make_result((*sent)["id"], json::object()), nullptr).has_value());
}

TEST_CASE("responses with unknown ids and cancellations of unknown requests are ignored") {
  Fixture f;
  f.initialize();
  Pending p(f, "roots/list", 2000);
  REQUIRE(p.sent.is_object());
  CHECK_FALSE(f.session->handle(make_result("no-such-request", {{"roots", 1}}), nullptr));
  CHECK_FALSE(f.session->handle(make_result(1, {{"roots", 2}}), nullptr));
  CHECK_FALSE(f.session->handle(
      make_notification("notifications/cancelled", {{"requestId", 4242}, {"reason", "x"}}),
      nullptr));
  CHECK_FALSE(f.session->handle(make_notification("notifications/cancelled", nullptr), nullptr));
  // The pending request still gets its own answer.
  f.session->handle(make_result(p.sent["id"], {{"roots", json::array()}}), nullptr);
  auto r = p.finish();
  REQUIRE(r);
  CHECK(*r == json{{"roots", json::array()}});
  CHECK(f.call("ping")["result"] == json::object());
}

TEST_CASE("close makes a pending request_client return promptly with an error") {
  Fixture f;
  f.initialize();
  Pending p(f, "elicitation/create", 30000);
  REQUIRE(p.sent.is_object());
  auto start = std::chrono::steady_clock::now();
  f.session->close();
  auto r = p.finish();
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  REQUIRE_FALSE(r);
  CHECK(r.error().code != rpc::kRequestTimeout);
  CHECK(f.out->closed());
  // After close, new requests fail at once.
  CHECK_FALSE(f.session->request_client("elicitation/create", {}, 30000, nullptr));
}

TEST_CASE("request_client without any outbound stream fails at once") {
  Fixture f;
  f.initialize();
  f.session->set_default_stream(nullptr);
  auto r = f.session->request_client("elicitation/create", {}, 30000, nullptr);
  REQUIRE_FALSE(r);
  CHECK(r.error().code != rpc::kRequestTimeout);
}
