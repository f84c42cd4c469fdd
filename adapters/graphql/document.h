// Executable GraphQL documents (queries, mutations, fragments) as the model
// writes them: a tool's `selection` argument, or the raw query tool's
// document. They are parsed, checked against the schema, and printed back
// from the parsed form, so what reaches the server is exactly what was
// checked (no parser differential can smuggle a mutation past the policy).
//
//   auto sel = parse_selection_set("{ id name owner { login } }");
//   check_selection(schema, "Repository", sel, {}, &errors);
//   std::string text = print_selection_set(sel);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/graphql/schema.h"

namespace toolgate::graphql {

struct Argument {
  std::string name;
  json value;  // a literal, see value.h
};

struct Directive {
  std::string name;
  std::vector<Argument> args;
};

struct Selection {
  enum class Kind { field, fragment_spread, inline_fragment } kind = Kind::field;
  std::string alias;
  std::string name;  // field name, fragment name, or the inline fragment's type ("" for none)
  std::vector<Argument> args;
  std::vector<Directive> directives;
  std::vector<Selection> children;
  int line = 0, col = 0;
};

struct VariableDef {
  std::string name;
  TypeRef type;
  json default_value;  // a literal; null when there is none
  bool has_default = false;
};

struct Operation {
  std::string type = "query";  // query | mutation | subscription
  std::string name;
  std::vector<VariableDef> variables;
  std::vector<Directive> directives;
  std::vector<Selection> selections;
  int line = 0, col = 0;
};

struct Fragment {
  std::string name, type_condition;
  std::vector<Directive> directives;
  std::vector<Selection> selections;
  int line = 0, col = 0;
};

struct Document {
  std::vector<Operation> operations;
  std::vector<Fragment> fragments;
};

// Bounds on what the model may send.
constexpr size_t kMaxDocumentBytes = 100'000;
constexpr size_t kMaxSelections = 5'000;

// Throw SyntaxError (line and column within `text`).
Document parse_document(std::string_view text);
// "{ a b { c } }"; the braces may be left out: "a b { c }".
std::vector<Selection> parse_selection_set(std::string_view text);

std::string print_selection_set(const std::vector<Selection>& s);
std::string print_document(const Document& d);

// Checks selections against `type_name`: fields exist, arguments exist and
// required ones are given, leaves have no selection and composites have one,
// fragments exist and fit. Appends "line:col: message" texts to `errors`.
void check_selection(const Schema& schema, const std::string& type_name,
                     const std::vector<Selection>& selections, const Document& fragments,
                     std::vector<std::string>* errors);

// Checks every operation of a document against the schema's roots.
std::vector<std::string> check_document(const Schema& schema, const Document& d);

}  // namespace toolgate::graphql
