// JSON Schema validation of untrusted instances (gateway/catalog/schema_validator.cc).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "gateway/catalog/schema_validator.h"

using namespace toolgate;

namespace {

std::shared_ptr<const SchemaValidator> compile_ok(const char* schema_text) {
  auto r = SchemaValidator::compile(json::parse(schema_text));
  if (!r) FAIL("schema did not compile: " << r.error().message);
  return *r;
}

size_t segments(const std::string& pointer) {
  return static_cast<size_t>(std::count(pointer.begin(), pointer.end(), '/'));
}

}  // namespace

TEST_CASE("a type mismatch is reported at the property's JSON pointer") {
  auto v = compile_ok(R"({"type":"object","properties":{"text":{"type":"string"}}})");
  CHECK(v->validate(json{{"text", "hello"}}).empty());
  auto errors = v->validate(json{{"text", 5}});
  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0].pointer == "/text");
  CHECK(errors[0].to_string().rfind("/text: ", 0) == 0);
}

TEST_CASE("a wrong root type is reported at the root") {
  auto v = compile_ok(R"({"type":"object"})");
  auto errors = v->validate(json::array());
  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0].pointer == "");
  CHECK(errors[0].to_string().rfind("/: ", 0) == 0);
}

TEST_CASE("a missing required property is reported by name") {
  auto v = compile_ok(
      R"({"type":"object","required":["text"],"properties":{"text":{"type":"string"}}})");
  auto errors = v->validate(json::object());
  REQUIRE_FALSE(errors.empty());
  bool named = std::any_of(errors.begin(), errors.end(), [](const SchemaError& e) {
    return e.message.find("text") != std::string::npos;
  });
  CHECK(named);
  CHECK(v->validate(json{{"text", "x"}}).empty());
}

TEST_CASE("integers and numbers are checked strictly") {
  auto v = compile_ok(R"({"type":"object","properties":{"n":{"type":"integer","minimum":1}}})");
  CHECK(v->validate(json{{"n", 3}}).empty());
  CHECK_FALSE(v->validate(json{{"n", 0}}).empty());
  CHECK_FALSE(v->validate(json{{"n", "3"}}).empty());
  CHECK_FALSE(v->validate(json{{"n", 2.5}}).empty());
}

TEST_CASE("pattern is a partial match with RE2 syntax") {
  auto v = compile_ok(R"({"type":"string","pattern":"b+"})");
  CHECK(v->validate("abbbc").empty());  // partial match, as JSON Schema requires
  CHECK_FALSE(v->validate("xyz").empty());
  auto anchored = compile_ok(R"({"type":"string","pattern":"^b+$"})");
  CHECK(anchored->validate("bbb").empty());
  auto errors = anchored->validate("abbbc");
  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0].message.find("^b+$") != std::string::npos);
  // Without a type, non-strings are not subject to pattern.
  auto untyped = compile_ok(R"({"pattern":"^b+$"})");
  CHECK(untyped->validate(5).empty());
  CHECK_FALSE(untyped->validate("a").empty());
}

TEST_CASE("pattern inside nested properties is enforced") {
  auto v = compile_ok(
      R"({"type":"object","properties":{"id":{"type":"string","pattern":"^[a-z]{3}$"}}})");
  CHECK(v->validate(json{{"id", "abc"}}).empty());
  auto errors = v->validate(json{{"id", "ABCD"}});
  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0].pointer == "/id");
}

TEST_CASE("a catastrophic-backtracking pattern is decided correctly on a long string") {
  // RE2 runs it in linear time; bench_policy prints how long ("pattern
  // ^(a+)+$"). A backtracking engine would hang this test instead.
  auto v = compile_ok(R"({"type":"string","pattern":"^(a+)+$"})");
  std::string s(100000, 'a');
  CHECK(v->validate(s).empty());
  CHECK_FALSE(v->validate(s + "!").empty());
}

TEST_CASE("an invalid RE2 pattern makes compile fail with a message") {
  for (const char* schema : {R"({"type":"string","pattern":"a(b"})",
                             R"json({"type":"string","pattern":"(?=lookahead)"})json",
                             R"({"properties":{"x":{"pattern":"[z-a]"}}})"}) {
    CAPTURE(schema);
    auto r = SchemaValidator::compile(json::parse(schema));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == rpc::kInvalidParams);
    CHECK(r.error().message.find("pattern") != std::string::npos);
  }
}

TEST_CASE("compile rejects schemas that are neither objects nor booleans") {
  auto r = SchemaValidator::compile(json(5));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == rpc::kInvalidParams);
  CHECK(SchemaValidator::compile(json(true)));
}

TEST_CASE("format is an annotation and is not enforced") {
  auto v = compile_ok(R"({"type":"object","properties":{
      "when":{"type":"string","format":"date-time"},
      "mail":{"type":"string","format":"email"}}})");
  CHECK(v->validate(json{{"when", "not a date"}, {"mail", "not an address"}}).empty());
  // The type next to it still applies.
  CHECK_FALSE(v->validate(json{{"when", 17}}).empty());
}

TEST_CASE("enum and const values that look like schemas are left as data") {
  auto v = compile_ok(R"({"enum":[{"pattern":"("}, "plain"]})");
  CHECK(v->validate("plain").empty());
  CHECK(v->validate(json{{"pattern", "("}}).empty());
  CHECK_FALSE(v->validate("other").empty());
}

TEST_CASE("a recursive $ref schema compiles and validates nested instances") {
  auto v = compile_ok(R"({
    "$defs": {"node": {"type": "object", "required": ["value"],
                       "properties": {"value": {"type": "integer"},
                                      "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
    "$ref": "#/$defs/node"})");
  json good =
      json::parse(R"({"value":1,"children":[{"value":2,"children":[{"value":3}]},{"value":4}]})");
  CHECK(v->validate(good).empty());

  json bad = json::parse(R"({"value":1,"children":[{"value":2,"children":[{"value":"three"}]}]})");
  auto errors = v->validate(bad);
  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0].pointer == "/children/0/children/0/value");

  json missing = json::parse(R"({"value":1,"children":[{"children":[]}]})");
  CHECK_FALSE(v->validate(missing).empty());
}

TEST_CASE("validate lists the deepest errors first, at most eight") {
  auto v = compile_ok(R"({"type":"object","properties":{
      "items":{"type":"array","items":{"type":"object","properties":{"n":{"type":"integer"}}}}}})");
  auto errors = v->validate(json::parse(R"({"items":[{"n":"x"}]})"));
  REQUIRE(errors.size() >= 2);
  CHECK(errors[0].pointer == "/items/0/n");
  for (size_t i = 1; i < errors.size(); ++i) {
    CHECK(segments(errors[i - 1].pointer) >= segments(errors[i].pointer));
  }

  json many = json::object();
  json props = json::object();
  for (int i = 0; i < 20; ++i) {
    props["p" + std::to_string(i)] = {{"type", "string"}};
    many["p" + std::to_string(i)] = i;
  }
  auto wide = SchemaValidator::compile(json{{"type", "object"}, {"properties", props}});
  REQUIRE(wide);
  auto capped = (*wide)->validate(many);
  CHECK(capped.size() == 8);
}

TEST_CASE("pattern under a property named like a data keyword still runs on RE2") {
  // "default", "enum", "examples" are data keywords only in a schema's own
  // position; as property names their schemas must be rewritten too, or a
  // long string would reach std::regex (which recurses per character).
  json schema = json::parse(R"({"type":"object","properties":{
      "default":{"type":"string","pattern":"^(a|aa)+$"},
      "examples":{"type":"string","format":"date-time"}},
      "$defs":{"enum":{"type":"string","pattern":"^x"}}})");
  auto v = SchemaValidator::compile(schema);
  REQUIRE(v);
  std::string long_input(200000, 'a');
  CHECK((*v)->validate({{"default", long_input}}).empty());
  CHECK_FALSE((*v)->validate({{"default", long_input + "b"}}).empty());
  CHECK((*v)->validate({{"examples", "not a date"}}).empty());  // format stays an annotation
}

TEST_CASE("a schema valijson cannot read is an error, never an abort") {
  // Draft-4 style boolean bounds, as OpenAPI 3.0 writes them, and other
  // malformed keywords a hostile upstream might send.
  for (const char* s :
       {R"({"type":"object","properties":{"x":{"maximum":3,"exclusiveMaximum":true}}})",
        R"({"minLength":"three"})", R"({"required":"x"})",
        R"({"properties":{"a":{"$ref":"#/nowhere"}}})"}) {
    CAPTURE(s);
    auto v = SchemaValidator::compile(json::parse(s));
    CHECK_FALSE(v);
  }
}
