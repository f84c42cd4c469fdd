// Catalog building from script sources: names, prefixes, schemas, digest
// (gateway/catalog/catalog.cc, adapters/script/script_adapter.cc).
#include <doctest/doctest.h>

#include "config_error.h"

#include <re2/re2.h>

#include <string>
#include <vector>

#include "gateway/catalog/adapter.h"
#include "gateway/catalog/catalog.h"
#include "gateway/catalog/naming.h"
#include "gateway/config/config.h"

using namespace toolgate;

namespace {

const AdapterRegistry& registry() {
  static const AdapterRegistry* r = [] {
    auto* reg = new AdapterRegistry();
    register_builtin_adapters(*reg);
    return reg;
  }();
  return *r;
}

std::shared_ptr<const Catalog> build(const std::string& yaml) {
  auto cfg = parse_config(yaml, "test.yaml");
  return Catalog::build(*cfg, registry());
}

// A script source named `name` with prefix mode `prefix` and the given tool names.
std::string source(const std::string& name, const std::string& prefix,
                   const std::vector<std::string>& tools) {
  std::string s =
      "  - name: " + name + "\n    type: script\n    prefix: " + prefix + "\n    tools:\n";
  for (const auto& t : tools) s += "      - name: \"" + t + "\"\n        command: [/bin/true]\n";
  return s;
}

std::vector<std::string> names(const Catalog& cat) {
  std::vector<std::string> out;
  for (const auto& t : cat.tools()) out.push_back(t->name);
  return out;
}

}  // namespace

TEST_CASE("prefix always names tools source__tool") {
  auto cat = build("sources:\n" + source("src", "always", {"tool", "other"}));
  CHECK(names(*cat) == std::vector<std::string>{"src__tool", "src__other"});
  const Tool* t = cat->find("src__tool");
  REQUIRE(t != nullptr);
  CHECK(t->source == "src");
  CHECK(t->local_name == "tool");
  CHECK(t->translator == registry().find("script")->translator());
  CHECK(t->translator != nullptr);
  CHECK(t->proxy == nullptr);
  CHECK(t->pointer == "/sources/0/tools/0");
  CHECK(cat->find("tool") == nullptr);
  CHECK(cat->find_shared("src__other") != nullptr);
  CHECK(cat->find_shared("missing") == nullptr);
}

TEST_CASE("prefix never keeps the tool's own name") {
  auto cat = build("sources:\n" + source("src", "never", {"tool"}));
  CHECK(names(*cat) == std::vector<std::string>{"tool"});
}

TEST_CASE("prefix on_collision prefixes only names that two sources share") {
  auto cat = build("sources:\n" + source("a", "on_collision", {"shared", "only_a"}) +
                   source("b", "on_collision", {"shared", "only_b"}));
  CHECK(names(*cat) == std::vector<std::string>{"a__shared", "only_a", "b__shared", "only_b"});
}

TEST_CASE("a name collision under prefix never names both sources") {
  std::string err = config_error([] {
    build("sources:\n" + source("first", "never", {"same"}) + source("second", "never", {"same"}));
  });
  REQUIRE_FALSE(err.empty());
  CHECK(err.rfind("test.yaml:", 0) == 0);
  CHECK(err.find("'first'") != std::string::npos);
  CHECK(err.find("'second'") != std::string::npos);
  CHECK(err.find("'same'") != std::string::npos);
}

TEST_CASE("tool names with characters outside [A-Za-z0-9_-] are sanitized") {
  auto cat = build("sources:\n" + source("my-src", "always", {"get pet/{id}"}));
  CHECK(names(*cat) == std::vector<std::string>{"my-src__get_pet__id_"});
  auto never = build("sources:\n" + source("s", "never", {"a.b c"}));
  CHECK(names(*never) == std::vector<std::string>{"a_b_c"});
  CHECK(never->find("a_b_c")->local_name == "a.b c");
}

TEST_CASE("a tool name longer than 64 characters is shortened deterministically") {
  std::string long_name(100, 'L');
  std::string yaml = "sources:\n" + source("src", "always", {long_name, long_name + "2"});
  auto one = build(yaml);
  auto two = build(yaml);
  REQUIRE(one->tools().size() == 2);
  RE2 valid("^[A-Za-z0-9_-]{1,64}$");
  for (const auto& t : one->tools()) {
    CAPTURE(t->name);
    CHECK(RE2::FullMatch(t->name, valid));
    CHECK(t->name.rfind("src__LLL", 0) == 0);
  }
  CHECK(one->tools()[0]->name == fit_name("src__" + long_name));
  CHECK(one->tools()[0]->name != one->tools()[1]->name);
  CHECK(names(*one) == names(*two));
}

TEST_CASE("an input_schema without type object is rejected at its position") {
  std::string err = config_error([] {
    build(R"(sources:
  - name: s
    type: script
    tools:
      - name: t
        command: [/bin/true]
        input_schema: {properties: {x: {type: string}}}
)");
  });
  CHECK(err.rfind("test.yaml:7:23: ", 0) == 0);
  CHECK(err.find("type: object") != std::string::npos);
}

TEST_CASE("an input_schema with an invalid pattern is rejected at its position") {
  std::string err = config_error([] {
    build(R"(sources:
  - name: s
    type: script
    tools:
      - name: t
        command: [/bin/true]
        input_schema: {type: object, properties: {x: {type: string, pattern: "a(b"}}}
)");
  });
  CHECK(err.rfind("test.yaml:7:", 0) == 0);
  CHECK(err.find("pattern") != std::string::npos);
}

TEST_CASE("the digest changes with what clients see and only then") {
  auto yaml = [](const std::string& description, const std::string& command) {
    return "sources:\n  - name: s\n    type: script\n    tools:\n      - name: t\n"
           "        description: " +
           description + "\n        command: [" + command + "]\n";
  };
  auto base = build(yaml("first", "/bin/true"));
  CHECK(base->digest().size() == 32);
  CHECK(build(yaml("first", "/bin/true"))->digest() == base->digest());
  CHECK(build(yaml("second", "/bin/true"))->digest() != base->digest());
  // The command is not part of the MCP listing, so it does not change the digest.
  CHECK(build(yaml("first", "/bin/false"))->digest() == base->digest());
}

TEST_CASE("to_mcp lists name, schemas, title, description and annotations") {
  auto cat = build(R"(sources:
  - name: notes
    type: script
    tools:
      - name: add
        title: Add a note
        description: Adds a note.
        command: [/bin/true]
        input_schema: {type: object, properties: {text: {type: string}}, required: [text]}
        output_schema: {type: object, properties: {id: {type: integer}}}
        annotations: {readOnlyHint: false, destructiveHint: false}
      - name: plain
        command: [/bin/true]
)");
  REQUIRE(cat->tools().size() == 2);
  json add = cat->find("notes__add")->to_mcp();
  CHECK(add["name"] == "notes__add");
  CHECK(add["title"] == "Add a note");
  CHECK(add["description"] == "Adds a note.");
  CHECK(add["inputSchema"]["type"] == "object");
  CHECK(add["inputSchema"]["required"] == json::array({"text"}));
  CHECK(add["outputSchema"]["properties"]["id"]["type"] == "integer");
  CHECK(add["annotations"] == json{{"readOnlyHint", false}, {"destructiveHint", false}});
  CHECK(cat->find("notes__add")->output_validator != nullptr);
  CHECK(cat->find("notes__add")->input_validator->validate(json{{"text", 1}}).size() >= 1);

  json plain = cat->find("notes__plain")->to_mcp();
  CHECK(plain["inputSchema"] == json{{"type", "object"}, {"additionalProperties", false}});
  CHECK_FALSE(plain.contains("outputSchema"));
  CHECK_FALSE(plain.contains("annotations"));
  CHECK_FALSE(plain.contains("title"));
  CHECK_FALSE(plain.contains("description"));
  CHECK(cat->find("notes__plain")->output_validator == nullptr);
}

TEST_CASE("a source with no tools yields an empty catalog with a stable digest") {
  auto a = build("sources: []\n");
  auto b = build("sources:\n  - name: s\n    type: script\n    tools: []\n");
  CHECK(a->tools().empty());
  CHECK(b->tools().empty());
  CHECK(a->digest() == b->digest());
  CHECK(a->digest() != build("sources:\n" + source("s", "always", {"t"}))->digest());
}
