// Fuzz target for the GraphQL parsers, which read untrusted text: SDL and
// introspection JSON (schemas from files or live endpoints) and executable
// documents (the model's selections and raw queries).
//
// Properties checked beyond "no crash": a parsed document prints back to
// text that parses to the same printed form, so what the policy judged is
// what the server gets.
//
// Built as a libFuzzer binary with -DTOOLGATE_FUZZ=ON (clang), and always
// as fuzz_graphql_replay, which runs the corpus in tests/fuzz/graphql_corpus
// (a ctest entry).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "adapters/graphql/document.h"
#include "adapters/graphql/lexer.h"
#include "adapters/graphql/schema.h"
#include "adapters/graphql/tool_schema.h"
#include "gateway/config/yaml_json.h"

using namespace toolgate;
using namespace toolgate::graphql;

namespace {

const Schema& fixed_schema() {
  static const Schema s = parse_sdl(
      "type Query { a(x: Int, y: [String!]): A  b: [U] }\n"
      "type A { id: ID! a: A name(upper: Boolean = false): String }\n"
      "type B { n: Int }\nunion U = A | B\n"
      "type Mutation { m(in: In!): A }\ninput In { v: Int! next: In }\n",
      "fixed");
  return s;
}

void roundtrip(const Document& d) {
  std::string printed = print_document(d);
  std::string again;
  try {
    again = print_document(parse_document(printed));
  } catch (const SyntaxError& e) {
    std::fprintf(stderr, "printed document does not parse: %s\n%s\n", e.what(), printed.c_str());
    std::abort();
  }
  if (again != printed) {
    std::fprintf(stderr, "print is not stable:\n%s\n---\n%s\n", printed.c_str(), again.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    Schema s = parse_sdl(text, "fuzz");
    for (const std::string* root : {&s.query_type, &s.mutation_type}) {
      const TypeDef* t = s.find(*root);
      if (!t) continue;
      for (auto& f : t->fields) {
        arguments_schema(s, f);
        default_selection(s, f.type, 3);
      }
    }
  } catch (const ConfigError&) {
  }
  try {
    Document d = parse_document(text);
    check_document(fixed_schema(), d);
    roundtrip(d);
  } catch (const SyntaxError&) {
  }
  try {
    auto sel = parse_selection_set(text);
    std::vector<std::string> errors;
    check_selection(fixed_schema(), "A", sel, {}, &errors);
    print_selection_set(sel);
  } catch (const SyntaxError&) {
  }
  if (auto j = parse_bounded(text, 128)) {
    try {
      from_introspection(*j, "fuzz");
    } catch (const ConfigError&) {
    }
  }
  return 0;
}
