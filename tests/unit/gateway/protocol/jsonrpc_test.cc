// JSON-RPC 2.0 message classification and construction (gateway/protocol/jsonrpc.cc).
#include <doctest/doctest.h>

#include "gateway/protocol/jsonrpc.h"

using namespace toolgate;

namespace {
json j(const char* text) { return json::parse(text); }
}  // namespace

TEST_CASE("classify recognizes a request and keeps its id") {
  auto c = classify(j(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}})"));
  CHECK(c.kind == MessageKind::request);
  CHECK(c.id == 7);
  CHECK(c.error.empty());

  auto s = classify(j(R"({"jsonrpc":"2.0","id":"abc","method":"ping"})"));
  CHECK(s.kind == MessageKind::request);
  CHECK(s.id == "abc");

  // params: null counts as absent.
  CHECK(classify(j(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":null})")).kind ==
        MessageKind::request);
}

TEST_CASE("classify recognizes a notification by its missing id") {
  auto c = classify(j(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  CHECK(c.kind == MessageKind::notification);
  CHECK(c.id.is_null());
}

TEST_CASE("classify recognizes result and error responses") {
  auto r = classify(j(R"({"jsonrpc":"2.0","id":"tg-1","result":{"action":"accept"}})"));
  CHECK(r.kind == MessageKind::response);
  CHECK(r.id == "tg-1");

  auto e = classify(j(R"({"jsonrpc":"2.0","id":3,"error":{"code":-1,"message":"no"}})"));
  CHECK(e.kind == MessageKind::response);
  CHECK(e.id == 3);
}

TEST_CASE("classify rejects batches with a message that says so") {
  auto c = classify(j(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])"));
  CHECK(c.kind == MessageKind::invalid);
  CHECK(c.error.find("batch") != std::string::npos);
  CHECK(classify(json::array()).kind == MessageKind::invalid);
}

TEST_CASE("classify rejects non-objects") {
  for (const char* text : {"1", "\"x\"", "null", "true"}) {
    CAPTURE(text);
    CHECK(classify(j(text)).kind == MessageKind::invalid);
  }
}

TEST_CASE("classify requires jsonrpc to be exactly 2.0") {
  auto missing = classify(j(R"({"id":1,"method":"ping"})"));
  CHECK(missing.kind == MessageKind::invalid);
  CHECK(missing.error.find("jsonrpc") != std::string::npos);
  // The id is still reported, so the error response can carry it.
  CHECK(missing.id == 1);

  CHECK(classify(j(R"({"jsonrpc":"1.0","id":1,"method":"ping"})")).kind == MessageKind::invalid);
  CHECK(classify(j(R"({"jsonrpc":2.0,"id":1,"method":"ping"})")).kind == MessageKind::invalid);
}

TEST_CASE("classify rejects request ids that are not strings or integers") {
  for (const char* text : {R"({"jsonrpc":"2.0","id":null,"method":"ping"})",
                           R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})",
                           R"({"jsonrpc":"2.0","id":true,"method":"ping"})",
                           R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})",
                           R"({"jsonrpc":"2.0","id":[1],"method":"ping"})"}) {
    CAPTURE(text);
    auto c = classify(j(text));
    CHECK(c.kind == MessageKind::invalid);
    CHECK(c.id.is_null());
    CHECK(c.error.find("id") != std::string::npos);
  }
}

TEST_CASE("classify rejects responses with unusable ids") {
  CHECK(classify(j(R"({"jsonrpc":"2.0","id":null,"result":{}})")).kind == MessageKind::invalid);
  CHECK(classify(j(R"({"jsonrpc":"2.0","id":2.0,"result":{}})")).kind == MessageKind::invalid);
  CHECK(classify(j(R"({"jsonrpc":"2.0","id":false,"error":{}})")).kind == MessageKind::invalid);
}

TEST_CASE("classify rejects a non-string method") {
  auto c = classify(j(R"({"jsonrpc":"2.0","id":1,"method":42})"));
  CHECK(c.kind == MessageKind::invalid);
  CHECK(c.error.find("method") != std::string::npos);
  CHECK(c.id == 1);
}

TEST_CASE("classify rejects params that are not an object") {
  for (const char* text : {R"({"jsonrpc":"2.0","id":1,"method":"x","params":[1,2]})",
                           R"({"jsonrpc":"2.0","id":1,"method":"x","params":"s"})",
                           R"({"jsonrpc":"2.0","method":"x","params":[1]})"}) {
    CAPTURE(text);
    auto c = classify(j(text));
    CHECK(c.kind == MessageKind::invalid);
    CHECK(c.error.find("params") != std::string::npos);
  }
}

TEST_CASE("classify rejects a response with both result and error, or neither") {
  auto both =
      classify(j(R"({"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}})"));
  CHECK(both.kind == MessageKind::invalid);
  CHECK(both.error.find("exactly one") != std::string::npos);

  CHECK(classify(j(R"({"jsonrpc":"2.0","id":1})")).kind == MessageKind::invalid);
  CHECK(classify(j(R"({"jsonrpc":"2.0"})")).kind == MessageKind::invalid);
}

TEST_CASE("valid_id accepts strings and integers only") {
  CHECK(valid_id(json("x")));
  CHECK(valid_id(json("")));
  CHECK(valid_id(json(0)));
  CHECK(valid_id(json(-5)));
  CHECK(valid_id(json(18446744073709551615ull)));
  CHECK_FALSE(valid_id(json(nullptr)));
  CHECK_FALSE(valid_id(json(1.0)));
  CHECK_FALSE(valid_id(json(true)));
  CHECK_FALSE(valid_id(json::object()));
  CHECK_FALSE(valid_id(json::array()));
}

TEST_CASE("id_key distinguishes string ids from integer ids") {
  CHECK(id_key(json("1")) != id_key(json(1)));
  CHECK(id_key(json(1)) == id_key(json(1)));
  CHECK(id_key(json("a")) == id_key(json("a")));
  CHECK(id_key(json("a")) != id_key(json("b")));
  CHECK(id_key(json(1)) != id_key(json(2)));
  // A string that looks like another id's key does not collide with it.
  CHECK(id_key(json("i:1")) != id_key(json(1)));
  // Unsigned and signed integers with the same value share a key.
  CHECK(id_key(json(5u)) == id_key(json(5)));
}

TEST_CASE("make_error builds a JSON-RPC error response") {
  json e = make_error(7, rpc::kInvalidParams, "bad things");
  CHECK(e["jsonrpc"] == "2.0");
  CHECK(e["id"] == 7);
  CHECK(e["error"]["code"] == -32602);
  CHECK(e["error"]["message"] == "bad things");
  CHECK_FALSE(e["error"].contains("data"));
  CHECK_FALSE(e.contains("result"));
  CHECK(classify(e).kind == MessageKind::response);

  json with_data = make_error(nullptr, rpc::kParseError, "x", {{"detail", 1}});
  CHECK(with_data["id"].is_null());
  CHECK(with_data["error"]["data"]["detail"] == 1);
}

TEST_CASE("make_result, make_request and make_notification build well-formed messages") {
  json r = make_result("a", {{"ok", true}});
  CHECK(r == j(R"({"jsonrpc":"2.0","id":"a","result":{"ok":true}})"));
  CHECK(classify(r).kind == MessageKind::response);

  json q = make_request("tg-1", "elicitation/create", {{"message", "hi"}});
  CHECK(q["method"] == "elicitation/create");
  CHECK(q["params"]["message"] == "hi");
  CHECK(classify(q).kind == MessageKind::request);
  CHECK_FALSE(make_request(1, "ping", nullptr).contains("params"));

  json n = make_notification("notifications/tools/list_changed", nullptr);
  CHECK_FALSE(n.contains("id"));
  CHECK_FALSE(n.contains("params"));
  CHECK(classify(n).kind == MessageKind::notification);
}
