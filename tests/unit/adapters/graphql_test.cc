// The GraphQL adapter's pure parts: the lexer, the SDL parser, reading
// introspection, tool schemas and default selections, and executable
// documents (adapters/graphql/).
#include <doctest/doctest.h>

#include <random>

#include "adapters/graphql/document.h"
#include "adapters/graphql/graphql_adapter.h"
#include "adapters/graphql/lexer.h"
#include "adapters/graphql/schema.h"
#include "adapters/graphql/tool_schema.h"
#include "gateway/config/yaml_json.h"

using namespace toolgate;
using namespace toolgate::graphql;

namespace {

// Every construct the SDL grammar has, in one schema.
const char* kSdl = R"(
"""
  The library.
    Indented line.
"""
schema { query: Root mutation: Writes }

directive @auth(role: String = "reader") repeatable on FIELD_DEFINITION | OBJECT

"A date" scalar Date @specifiedBy(url: "https://example.com")

enum Genre { FICTION "Facts" SCIENCE @deprecated HISTORY }

interface Node { id: ID! }
interface Named implements Node & Thing { id: ID! name: String }
interface Thing { id: ID! }

type Author implements Node & Named & Thing @auth {
  id: ID!
  name: String
  books(first: Int = 10, order: Order = {field: TITLE, desc: false}): BookConnection!
  tagged(tag: String!): [Book]
}

type Book implements Node { id: ID! title: String! genre: Genre author: Author old: String @deprecated(reason: "gone") }
type BookEdge { node: Book cursor: String! }
type PageInfo { hasNextPage: Boolean! endCursor: String }
type BookConnection { totalCount: Int! pageInfo: PageInfo! edges: [BookEdge] }

union Result = | Book | Author

input Order { field: OrderField! desc: Boolean = false }
enum OrderField { TITLE YEAR }
input Filter { genre: [Genre!] nested: Filter tags: [[String!]]! }

type Root {
  book(id: ID!): Book
  search(q: String!, filter: Filter): [Result!]!
  count: Int
}
type Writes { addBook(title: String!, genre: Genre = FICTION): Book! }

extend type Root { author(id: ID!): Author }
extend enum Genre { POETRY }
extend union Result = Genre2Holder
type Genre2Holder { g: Genre }
extend input Filter { since: Date }
)";

Schema sdl(const std::string& text) { return parse_sdl(text, "test.graphql"); }

std::string sdl_error(const std::string& text) {
  try {
    sdl(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> check(const Schema& s, const std::string& type, const std::string& sel) {
  std::vector<std::string> errors;
  check_selection(s, type, parse_selection_set(sel), {}, &errors);
  return errors;
}

}  // namespace

TEST_CASE("lexer: strings, block strings, numbers and errors with line and column") {
  Lexer lx(
      "\xEF\xBB\xBF \"a\\n\\u00e9\\u{1F600}\\uD83D\\uDE00\" \"\"\"\n    x\n      y\n\n  \"\"\" "
      "-1.5e3 0 ...");
  CHECK(lx.next().text == "a\n\xC3\xA9\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
  Token b = lx.next();
  CHECK(b.block);
  CHECK(b.text == "x\n  y");
  CHECK(lx.peek().kind == Tok::float_value);
  CHECK(lx.next().text == "-1.5e3");
  CHECK(lx.next().kind == Tok::int_value);
  CHECK(lx.is_punct("..."));

  auto fails = [](const char* text) -> std::string {
    try {
      Lexer l(text);
      while (!l.at_end()) l.next();
    } catch (const SyntaxError& e) {
      return std::to_string(e.line) + ":" + std::to_string(e.col) + " " + e.what();
    }
    return "(no error)";
  };
  CHECK(fails("a\n  \"open") == "2:3 unterminated string");
  CHECK(fails("\"\\q\"") == "1:1 invalid escape \\q");
  CHECK(fails("\"\\uD800\"") == "1:1 invalid unicode escape (not a scalar value)");
  CHECK(fails("007") == "1:1 invalid number: leading zero");
  CHECK(fails("12abc") == "1:1 invalid number");
  CHECK(fails("x ? y") == "1:3 unexpected character '?'");
  CHECK(fails("\x01") == "1:1 unexpected character byte 0x01");
  CHECK(fails("\"\"\"never closed") == "1:1 unterminated block string");
}

TEST_CASE("SDL: every construct, extensions, and renamed roots") {
  Schema s = sdl(kSdl);
  CHECK(s.query_type == "Root");
  CHECK(s.mutation_type == "Writes");
  CHECK(s.subscription_type == "");
  const TypeDef* root = s.find("Root");
  REQUIRE(root);
  CHECK(root->fields.size() == 4);  // the extension's author included
  CHECK(root->fields[3].name == "author");
  CHECK(s.find("Genre")->enum_values ==
        std::vector<std::string>{"FICTION", "SCIENCE", "HISTORY", "POETRY"});
  CHECK(s.find("Result")->members == std::vector<std::string>{"Book", "Author", "Genre2Holder"});
  CHECK(s.find("Named")->interfaces == std::vector<std::string>{"Node", "Thing"});
  CHECK(s.find("Filter")->input_fields.back().name == "since");
  CHECK(s.find("Date")->description == "A date");
  const FieldDef* books = s.find("Author")->field("books");
  REQUIRE(books);
  CHECK(books->type.str() == "BookConnection!");
  CHECK(books->args[1].default_value == json{{"field", "TITLE"}, {"desc", false}});
  CHECK(books->args[0].default_value == 10);
  const FieldDef* old = s.find("Book")->field("old");
  CHECK(old->deprecated);
  CHECK(old->deprecation == "gone");
  TypeRef tags = s.find("Filter")->input_fields[2].type;
  CHECK(tags.str() == "[[String!]]!");
  CHECK(tags.wrappers == "!LL!");
  CHECK(s.find("Int"));  // built-in scalars are always there
}

TEST_CASE("SDL: errors name file, line and column") {
  CHECK(sdl_error("type Query { a: Missing }") == "test.graphql:1:17: unknown type 'Missing'");
  CHECK(sdl_error("type Query { a: Int }\ntype Query { b: Int }") ==
        "test.graphql:2:1: type 'Query' is defined twice");
  CHECK(sdl_error("type Query {\n  a(x: Int, x: Int): Int }") ==
        "test.graphql:2:13: argument 'x' is defined twice");
  CHECK(sdl_error("type Query { a: Int }\nextend type Nope { b: Int }") ==
        "test.graphql:2:1: 'extend' of unknown type 'Nope'");
  CHECK(sdl_error("type Query { a: Int }\nextend type Query { a: Int }") ==
        "test.graphql:2:1: 'extend' adds field 'a' that 'Query' already has");
  CHECK(sdl_error("type Query { a: Int }\nquery { a }") ==
        "test.graphql:2:1: 'query': operations and fragments do not belong in a schema");
  CHECK(sdl_error("type Query { a: In put }") == "test.graphql:1:24: expected ':', found '}'");
  CHECK(sdl_error("input I { a: Int }\ntype Query { a: I }") ==
        "test.graphql:2:1: field 'Query.a' returns input type 'I'");
  CHECK(sdl_error("type T { a: Int }\ntype Query { a(t: T): Int }") ==
        "test.graphql:2:1: argument 'Query.a(t)' takes output type 'T'");
  CHECK(sdl_error("type Mutation { a: Int }") == "test.graphql: the schema has no query root type");
  CHECK(sdl_error("type Query { a: Int } enum E { true }") ==
        "test.graphql:1:32: 'true' cannot be an enum value");
  CHECK(sdl_error("type Query { a: Int }\ntype Query2 { a: Int, a: String }") ==
        "test.graphql:2:23: field 'Query2.a' is defined twice, differently");
  // Nesting is bounded, so hostile input cannot exhaust the stack.
  std::string deep = "type Query { a(x: Int = " + std::string(10000, '[') + "): Int }";
  CHECK(sdl_error(deep).find("values nested too deeply") != std::string::npos);
  std::string lists = "type Query { a: " + std::string(10000, '[') + "Int }";
  CHECK(sdl_error(lists).find("type nested too deeply") != std::string::npos);
}

TEST_CASE("SDL: a field defined twice identically is kept once, with a warning") {
  std::vector<std::string> warnings;
  Schema s =
      parse_sdl("type Query {\n  \"one\" a: Int\n  \"two\" a: Int\n}", "t.graphql", &warnings);
  CHECK(s.find("Query")->fields.size() == 1);
  CHECK(s.find("Query")->fields[0].description == "one");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] ==
        "t.graphql:3:3: field 'Query.a' is defined twice; the first definition is kept");
}

TEST_CASE("introspection JSON gives the same model as SDL") {
  const char* text = R"(type Query {
  "Find one"
  find(id: ID!, order: Ord = {by: NAME}, n: [Int!] = [1, 2]): Thing
}
"An order" input Ord { by: By! }
enum By { NAME AGE }
type Thing { id: ID! old: Int @deprecated }
)";
  json intro = json::parse(R"({"data": {"__schema": {
    "queryType": {"name": "Query"}, "mutationType": null, "subscriptionType": null,
    "types": [
      {"kind": "OBJECT", "name": "Query", "description": null, "interfaces": [],
       "fields": [{"name": "find", "description": "Find one", "isDeprecated": false,
         "type": {"kind": "OBJECT", "name": "Thing", "ofType": null},
         "args": [
           {"name": "id", "description": null, "defaultValue": null,
            "type": {"kind": "NON_NULL", "name": null, "ofType": {"kind": "SCALAR", "name": "ID", "ofType": null}}},
           {"name": "order", "description": null, "defaultValue": "{by: NAME}",
            "type": {"kind": "INPUT_OBJECT", "name": "Ord", "ofType": null}},
           {"name": "n", "description": null, "defaultValue": "[1, 2]",
            "type": {"kind": "LIST", "name": null, "ofType": {"kind": "NON_NULL", "name": null,
                     "ofType": {"kind": "SCALAR", "name": "Int", "ofType": null}}}}]}]},
      {"kind": "INPUT_OBJECT", "name": "Ord", "description": "An order", "inputFields": [
        {"name": "by", "description": null, "defaultValue": null,
         "type": {"kind": "NON_NULL", "name": null, "ofType": {"kind": "ENUM", "name": "By", "ofType": null}}}]},
      {"kind": "ENUM", "name": "By", "enumValues": [{"name": "NAME"}, {"name": "AGE"}]},
      {"kind": "OBJECT", "name": "Thing", "interfaces": [], "fields": [
        {"name": "id", "args": [], "type": {"kind": "NON_NULL", "name": null, "ofType": {"kind": "SCALAR", "name": "ID", "ofType": null}}},
        {"name": "old", "args": [], "isDeprecated": true, "deprecationReason": "No longer supported",
         "type": {"kind": "SCALAR", "name": "Int", "ofType": null}}]},
      {"kind": "SCALAR", "name": "ID"}, {"kind": "SCALAR", "name": "Int"},
      {"kind": "OBJECT", "name": "__Schema", "fields": []}
    ]}}})");
  Schema a = sdl(text), b = from_introspection(intro, "t.json");
  REQUIRE(a.types.size() == b.types.size());
  for (auto& [name, t] : a.types) {
    const TypeDef* u = b.find(name);
    REQUIRE(u);
    CHECK(t.fields == u->fields);
    CHECK(t.input_fields == u->input_fields);
    CHECK(t.enum_values == u->enum_values);
    CHECK(t.description == u->description);
  }
  const FieldDef& find = a.find("Query")->fields[0];
  CHECK(arguments_schema(a, find) == arguments_schema(b, b.find("Query")->fields[0]));
  CHECK(default_selection(a, find.type, 2) == default_selection(b, find.type, 2));

  auto fails = [](const char* j) -> std::string {
    try {
      from_introspection(json::parse(j), "t.json");
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  };
  CHECK(fails(R"({"x": 1})") ==
        "t.json: /: expected an introspection result ({\"data\": {\"__schema\": ...}})");
  CHECK(fails(R"({"__schema": {"queryType": {"name": "Q"}, "types": [{"kind": "OBJECT", "name": "Q",
        "fields": [{"name": "a", "args": [], "type": {"kind": "LIST"}}]}]}})") ==
        "t.json: /__schema/types/0/fields/0/type/ofType: missing 'ofType'");
  CHECK(
      fails(
          R"({"__schema": {"queryType": {"name": "Q"}, "types": [{"kind": "THING", "name": "Q"}]}})") ==
      "t.json: /__schema/types/0/kind: unknown kind 'THING'");
  CHECK(fails(R"({"__schema": {"queryType": {"name": "Q"}, "types": [{"kind": "OBJECT", "name": "Q",
        "fields": [{"name": "a", "args": [], "type": {"kind": "OBJECT", "name": "Gone"}}]}]}})") ==
        "t.json: type 'Q': field 'Q.a' refers to unknown type 'Gone'");
  CHECK(fails(R"({"__schema": {"queryType": {"name": "Q"}, "types": [{"kind": "OBJECT", "name": "Q",
        "fields": [{"name": "a", "type": {"kind": "SCALAR", "name": "Int"},
        "args": [{"name": "x", "type": {"kind": "SCALAR", "name": "Int"}, "defaultValue": "[1"}]}]}]}})")
            .find("/__schema/types/0/fields/0/args/0/defaultValue: not a GraphQL value") !=
        std::string::npos);
}

TEST_CASE("tool input schemas: input objects as $defs, enums, lists, required, scalars") {
  Schema s = sdl(kSdl);
  json search = arguments_schema(s, *s.find("Root")->field("search"));
  CHECK(search["required"] == json{"q"});
  CHECK(search["additionalProperties"] == false);
  CHECK(search["properties"]["filter"]["allOf"][0]["$ref"] == "#/$defs/Filter");
  const json& filter = search["$defs"]["Filter"];
  CHECK(filter["properties"]["nested"]["allOf"][0]["$ref"] == "#/$defs/Filter");  // a cycle
  CHECK(filter["properties"]["genre"]["type"] == "array");
  CHECK(filter["properties"]["genre"]["items"]["enum"] ==
        json{"FICTION", "SCIENCE", "HISTORY", "POETRY"});
  CHECK(filter["properties"]["tags"]["items"]["items"]["type"] == "string");
  CHECK(filter["required"] == json{"tags"});
  CHECK(filter["properties"]["since"]["description"] == "Date: A date");  // custom scalar
  json add = arguments_schema(s, *s.find("Writes")->field("addBook"));
  CHECK(add["required"] == json{"title"});  // genre has a default
  CHECK(add["properties"]["genre"]["default"] == "FICTION");
  json books = arguments_schema(s, *s.find("Author")->field("books"));
  CHECK(books["properties"]["first"]["type"] == "integer");
  CHECK(books["properties"]["first"]["maximum"] == 2147483647LL);
  CHECK(books["$defs"].contains("Order"));
  CHECK_FALSE(books["$defs"].contains("Filter"));
  CHECK(arguments_schema(s, *s.find("Root")->field("book"))["properties"]["id"]["type"] ==
        json{"string", "integer"});
}

TEST_CASE("default selections: depth, connections, unions, and fields that need arguments") {
  Schema s = sdl(kSdl);
  TypeRef book{"Book", ""};
  CHECK(default_selection(s, book, 1) == "{ id title genre }");  // deprecated `old` left out
  CHECK(default_selection(s, book, 2) == "{ id title genre author { id name } }");
  // Connections cost no level: Author.books at depth 3 still gets its nodes.
  CHECK(default_selection(s, TypeRef{"Author", ""}, 2) ==
        "{ id name books { totalCount pageInfo { hasNextPage endCursor } edges { node { id title "
        "genre } } } }");
  CHECK(default_selection(s, TypeRef{"Result", "!L!"}, 1) ==
        "{ __typename ... on Book { id title genre } ... on Author { id name } ... on Genre2Holder "
        "{ g } }");
  CHECK(default_selection(s, TypeRef{"Int", ""}, 2) == "");
  CHECK(default_selection(s, TypeRef{"Named", ""}, 1) == "{ __typename id name }");
}

TEST_CASE("default selections end on schemas whose connections nest forever") {
  // A connection's nodes do not use up depth; here they are connections.
  Schema s = sdl(
      "type Query { c: XConnection } type XConnection { totalCount: Int nodes: [XConnection] }");
  std::string sel = default_selection(s, TypeRef{"XConnection", ""}, 3);
  CHECK(sel.rfind("{ totalCount nodes { totalCount", 0) == 0);
  CHECK(sel.size() < 2000);
}

TEST_CASE("documents: parsed, checked against the schema, printed back") {
  Schema s = sdl(kSdl);
  CHECK(check(s, "Book", "{ id title author { name } }").empty());
  CHECK(check(s, "Book", "id t: title ... on Book { genre } __typename").empty());
  CHECK(check(s, "Book", "{ isbn }") ==
        std::vector<std::string>{"1:3: type 'Book' has no field 'isbn'"});
  CHECK(check(s, "Book", "{ author }") ==
        std::vector<std::string>{
            "1:3: field 'author' returns Author; select some of its fields with { }"});
  CHECK(check(s, "Book", "{ title { x } }") ==
        std::vector<std::string>{"1:3: field 'title' returns String!, which has no fields"});
  CHECK(check(s, "Author", "{ tagged { id } }") ==
        std::vector<std::string>{"1:3: field 'tagged' needs argument 'tag: String!'"});
  CHECK(check(s, "Author", "{ books(nope: 1) { totalCount } }") ==
        std::vector<std::string>{"1:3: field 'books' has no argument 'nope'"});
  CHECK(check(s, "Result", "{ id }")[0].find("a union") != std::string::npos);
  CHECK(check(s, "Book", "{ ...F }") == std::vector<std::string>{"1:3: unknown fragment 'F'"});
  CHECK(check(s, "Book", "{ ... on Nope { id } }") ==
        std::vector<std::string>{"1:3: unknown type 'Nope'"});

  auto sel = parse_selection_set(
      "a: title(x: \"q\\\"\", y: [1, ENUM, {k: null}]) @include(if: $v)  ...on Book{id}");
  CHECK(print_selection_set(sel) ==
        "{ a: title(x: \"q\\\"\", y: [1, ENUM, {k: null}]) @include(if: $v) ... on Book { id } }");

  Document d = parse_document(
      "query Q($id: ID! = \"1\", $f: [Filter!]) { book(id: $id) { ...B } }\n"
      "fragment B on Book { title }\nmutation M { addBook(title: \"x\") { id } }");
  CHECK(check_document(s, d).empty());
  CHECK(print_document(d) ==
        "query Q($id: ID! = \"1\", $f: [Filter!]) { book(id: $id) { ...B } }\n"
        "mutation M { addBook(title: \"x\") { id } }\nfragment B on Book { title }\n");
  CHECK(check_document(s, parse_document("{ count } { count }")).size() == 2);
  CHECK(check_document(s, parse_document("subscription { x }"))[0] ==
        "1:1: the schema has no subscription type");
  CHECK(check_document(s,
                       parse_document("fragment A on Book { ...A } { book(id: 1) { ...A } }"))[0] ==
        "1:22: fragment 'A' spreads itself");

  auto syntax = [](const char* text) -> std::string {
    try {
      parse_document(text);
    } catch (const SyntaxError& e) {
      return std::to_string(e.line) + ":" + std::to_string(e.col) + " " + e.what();
    }
    return "(no error)";
  };
  CHECK(syntax("{ a(x: 1, x: 2) }") == "1:11 argument 'x' is given twice");
  CHECK(syntax("{ }") == "1:3 a selection set cannot be empty");
  CHECK(syntax("") == "1:1 expected an operation, found the end of the input");
  CHECK(syntax("type A { a: Int }") ==
        "1:1 expected query, mutation, subscription, fragment or '{', found 'type'");
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "{ a ";
  CHECK(syntax((deep + std::string(100, '}')).c_str()).find("nested too deeply") !=
        std::string::npos);
  CHECK(syntax(std::string(200'000, ' ').c_str()).find("larger than") != std::string::npos);
}

TEST_CASE("documents: exponential fragment spreads are cut off") {
  Schema s = sdl("type Query { q: Q } type Q { a: Int q: Q }");
  std::string doc = "{ q { ...F0 } }\n";
  for (int i = 0; i < 40; ++i)
    doc += "fragment F" + std::to_string(i) + " on Q { a q { ...F" + std::to_string(i + 1) +
           " ...F" + std::to_string(i + 1) + " } }\n";
  doc += "fragment F40 on Q { a }\n";
  auto errors = check_document(s, parse_document(doc));
  REQUIRE_FALSE(errors.empty());
  CHECK(errors.back().find("too complex") != std::string::npos);
}

TEST_CASE("the raw query tool's operation, for the policy, comes from its document") {
  GraphQlAdapter adapter;
  Tool raw;
  raw.route = {{"raw", true}};
  auto op = [&](json args) { return adapter.call_facts(raw, args)["graphql"]["operation"]; };
  CHECK(op({{"query", "{ a }"}}) == "query");
  CHECK(op({{"query", "query A { a } mutation B { b }"}, {"operationName", "A"}}) == "mutation");
  CHECK(op({{"query", "subscription { a }"}}) == "subscription");
  CHECK(op({{"query", "{ a "}}) == "mutation");  // unreadable: judged as the worst
  CHECK(op({{"query", 5}}) == "mutation");
  Tool typed;
  typed.route = {{"field", "a"}};
  CHECK(adapter.call_facts(typed, json::object()).is_null());
}

TEST_CASE("hostile SDL never crashes the parser") {
  // A quick in-test stand-in for the fuzz target (tests/fuzz): random edits
  // of a real schema must end in a schema or a ConfigError.
  std::mt19937 rng(7);
  std::string base = kSdl;
  const char* pieces[] = {"{",  "}",  "(",       ")",     "[",    "]",   "\"",  "\"\"\"",
                          "@",  "!",  ":",       "=",     "|",    "&",   "...", "$",
                          "\\", "\n", "extend ", "type ", "\xff", "\x00"};
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string t = base;
    for (int k = 0; k < 3; ++k) {
      size_t at = rng() % t.size();
      if (rng() % 2)
        t.insert(at, pieces[rng() % (sizeof pieces / sizeof *pieces)]);
      else
        t.erase(at, rng() % 8);
    }
    try {
      sdl(t);
      ++parsed;
    } catch (const ConfigError&) {
    }
  }
  CHECK(parsed > 0);
}
