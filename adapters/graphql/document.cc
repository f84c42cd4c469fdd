#include "adapters/graphql/document.h"

#include <functional>
#include <set>

#include "adapters/graphql/value.h"

namespace toolgate::graphql {
namespace {

class DocParser {
 public:
  explicit DocParser(std::string_view text) : lx_(text) {
    if (text.size() > kMaxDocumentBytes)
      throw SyntaxError(
          1, 1, "the document is larger than " + std::to_string(kMaxDocumentBytes) + " bytes");
  }

  Document document() {
    Document d;
    if (lx_.at_end()) lx_.fail("expected an operation");
    while (!lx_.at_end()) {
      Token at = lx_.peek();
      if (lx_.is_punct("{")) {
        Operation op;
        op.line = at.line;
        op.col = at.col;
        op.selections = selection_set(0);
        d.operations.push_back(std::move(op));
      } else if (lx_.accept_keyword("fragment")) {
        Fragment f;
        f.line = at.line;
        f.col = at.col;
        f.name = lx_.expect_name();
        if (f.name == "on") lx_.fail_at(at, "a fragment cannot be named 'on'");
        if (!lx_.accept_keyword("on")) lx_.fail("expected 'on' and a type");
        f.type_condition = lx_.expect_name();
        f.directives = directives(false);
        f.selections = selection_set(0);
        d.fragments.push_back(std::move(f));
      } else if (at.kind == Tok::name &&
                 (at.text == "query" || at.text == "mutation" || at.text == "subscription")) {
        Operation op;
        op.line = at.line;
        op.col = at.col;
        op.type = lx_.next().text;
        if (lx_.peek().kind == Tok::name) op.name = lx_.next().text;
        if (lx_.accept("(")) {
          while (!lx_.accept(")")) op.variables.push_back(variable());
        }
        op.directives = directives(false);
        op.selections = selection_set(0);
        d.operations.push_back(std::move(op));
      } else if (at.kind == Tok::name) {
        lx_.fail("expected query, mutation, subscription, fragment or '{'");
      } else {
        lx_.fail("expected an operation or a fragment");
      }
    }
    return d;
  }

  std::vector<Selection> bare_selection_set() {
    std::vector<Selection> out;
    if (lx_.is_punct("{")) {
      out = selection_set(0);
    } else {
      while (!lx_.at_end()) out.push_back(selection(1));
      if (out.empty()) lx_.fail("expected a selection");
    }
    if (!lx_.at_end()) lx_.fail("expected the end of the selection");
    return out;
  }

 private:
  VariableDef variable() {
    VariableDef v;
    lx_.expect("$");
    v.name = lx_.expect_name();
    lx_.expect(":");
    v.type = parse_type_ref(lx_);
    if (lx_.accept("=")) {
      v.has_default = true;
      v.default_value = parse_value(lx_, true);
    }
    directives(true);
    return v;
  }

  std::vector<Selection> selection_set(int depth) {
    if (depth > kMaxNesting) lx_.fail("selections nested too deeply");
    lx_.expect("{");
    if (lx_.is_punct("}")) lx_.fail_at(lx_.peek(), "a selection set cannot be empty");
    std::vector<Selection> out;
    while (!lx_.accept("}")) out.push_back(selection(depth + 1));
    return out;
  }

  Selection selection(int depth) {
    if (++count_ > kMaxSelections)
      lx_.fail("more than " + std::to_string(kMaxSelections) + " selections");
    Selection s;
    const Token& at = lx_.peek();
    s.line = at.line;
    s.col = at.col;
    if (lx_.accept("...")) {
      if (lx_.is_name("on")) {
        lx_.next();
        s.kind = Selection::Kind::inline_fragment;
        s.name = lx_.expect_name();
      } else if (lx_.peek().kind == Tok::name) {
        s.kind = Selection::Kind::fragment_spread;
        s.name = lx_.expect_name();
        s.directives = directives(false);
        return s;
      } else {
        s.kind = Selection::Kind::inline_fragment;
      }
      s.directives = directives(false);
      s.children = selection_set(depth);
      return s;
    }
    s.name = lx_.expect_name();
    if (lx_.accept(":")) {
      s.alias = s.name;
      s.name = lx_.expect_name();
    }
    s.args = arguments(false);
    s.directives = directives(false);
    if (lx_.is_punct("{")) s.children = selection_set(depth);
    return s;
  }

  std::vector<Argument> arguments(bool is_const) {
    std::vector<Argument> out;
    if (!lx_.accept("(")) return out;
    std::set<std::string> seen;
    while (!lx_.accept(")")) {
      Token at = lx_.peek();
      Argument a;
      a.name = lx_.expect_name();
      if (!seen.insert(a.name).second) lx_.fail_at(at, "argument '" + a.name + "' is given twice");
      lx_.expect(":");
      a.value = parse_value(lx_, is_const);
      out.push_back(std::move(a));
    }
    if (out.empty()) lx_.fail("expected an argument");
    return out;
  }

  std::vector<Directive> directives(bool is_const) {
    std::vector<Directive> out;
    while (lx_.accept("@")) {
      Directive d;
      d.name = lx_.expect_name();
      d.args = arguments(is_const);
      out.push_back(std::move(d));
    }
    return out;
  }

  Lexer lx_;
  size_t count_ = 0;
};

std::string print_args(const std::vector<Argument>& args) {
  if (args.empty()) return "";
  std::string out = "(";
  for (size_t i = 0; i < args.size(); ++i)
    out += (i ? ", " : "") + args[i].name + ": " + print_value(args[i].value);
  return out + ")";
}

std::string print_directives(const std::vector<Directive>& ds) {
  std::string out;
  for (auto& d : ds) out += " @" + d.name + print_args(d.args);
  return out;
}

std::string where(const Selection& s) {
  return std::to_string(s.line) + ":" + std::to_string(s.col) + ": ";
}

struct Checker {
  const Schema& schema;
  const Document& doc;
  std::vector<std::string>* errors;
  std::set<std::string> visiting;  // fragment spreads being followed, against cycles
  // Fragments spread twice at every level would make the check exponential.
  size_t work = 0;

  void error(const Selection& s, const std::string& m) {
    if (errors->size() < 20) errors->push_back(where(s) + m);
  }

  void selections(const TypeDef& parent, const std::vector<Selection>& sels) {
    for (auto& s : sels) {
      if (++work > 100'000) {
        if (work == 100'001) errors->push_back(where(s) + "the document is too complex to check");
        return;
      }
      switch (s.kind) {
        case Selection::Kind::field:
          field(parent, s);
          break;
        case Selection::Kind::inline_fragment: {
          const TypeDef* t = s.name.empty() ? &parent : schema.find(s.name);
          if (!t) {
            error(s, "unknown type '" + s.name + "'");
          } else if (!t->composite()) {
            error(s, "'" + s.name + "' is a " + to_string(t->kind) +
                         "; fragments need an object, "
                         "interface or union");
          } else {
            selections(*t, s.children);
          }
          break;
        }
        case Selection::Kind::fragment_spread: {
          const Fragment* f = nullptr;
          for (auto& x : doc.fragments)
            if (x.name == s.name) f = &x;
          if (!f) {
            error(s, "unknown fragment '" + s.name + "'");
            break;
          }
          if (!visiting.insert(f->name).second) {
            error(s, "fragment '" + f->name + "' spreads itself");
            break;
          }
          const TypeDef* t = schema.find(f->type_condition);
          if (!t || !t->composite())
            error(s, "fragment '" + f->name + "' is on '" + f->type_condition +
                         "', which is not an object, interface or union");
          else
            selections(*t, f->selections);
          visiting.erase(f->name);
          break;
        }
      }
    }
  }

  void field(const TypeDef& parent, const Selection& s) {
    if (s.name == "__typename") {
      if (!s.children.empty()) error(s, "'__typename' has no fields to select");
      return;
    }
    const FieldDef* f = parent.kind == Kind::union_ ? nullptr : parent.field(s.name);
    if (!f) {
      std::string hint = parent.kind == Kind::union_
                             ? " (a union: select its members' fields with '... on Type { }')"
                             : "";
      error(s, "type '" + parent.name + "' has no field '" + s.name + "'" + hint);
      return;
    }
    for (auto& a : s.args) {
      bool known = false;
      for (auto& d : f->args) known = known || d.name == a.name;
      if (!known) error(s, "field '" + s.name + "' has no argument '" + a.name + "'");
    }
    for (auto& d : f->args) {
      if (!d.type.non_null() || d.has_default) continue;
      bool given = false;
      for (auto& a : s.args) given = given || (a.name == d.name && !a.value.is_null());
      if (!given)
        error(s, "field '" + s.name + "' needs argument '" + d.name + ": " + d.type.str() + "'");
    }
    const TypeDef* t = schema.find(f->type.name);
    if (!t) return;
    if (t->composite() && s.children.empty()) {
      error(s, "field '" + s.name + "' returns " + f->type.str() +
                   "; select some of its fields with { }");
    } else if (!t->composite() && !s.children.empty()) {
      error(s, "field '" + s.name + "' returns " + f->type.str() + ", which has no fields");
    } else if (t->composite()) {
      selections(*t, s.children);
    }
  }
};

}  // namespace

Document parse_document(std::string_view text) { return DocParser(text).document(); }

std::vector<Selection> parse_selection_set(std::string_view text) {
  return DocParser(text).bare_selection_set();
}

std::string print_selection_set(const std::vector<Selection>& sels) {
  std::string out = "{";
  for (auto& s : sels) {
    out += " ";
    switch (s.kind) {
      case Selection::Kind::field:
        if (!s.alias.empty()) out += s.alias + ": ";
        out += s.name + print_args(s.args) + print_directives(s.directives);
        if (!s.children.empty()) out += " " + print_selection_set(s.children);
        break;
      case Selection::Kind::fragment_spread:
        out += "..." + s.name + print_directives(s.directives);
        break;
      case Selection::Kind::inline_fragment:
        out += "..." + (s.name.empty() ? "" : " on " + s.name) + print_directives(s.directives) +
               " " + print_selection_set(s.children);
        break;
    }
  }
  return out + " }";
}

std::string print_document(const Document& d) {
  std::string out;
  for (auto& op : d.operations) {
    out += op.type;
    if (!op.name.empty()) out += " " + op.name;
    if (!op.variables.empty()) {
      out += "(";
      for (size_t i = 0; i < op.variables.size(); ++i) {
        const VariableDef& v = op.variables[i];
        out += (i ? ", $" : "$") + v.name + ": " + v.type.str();
        if (v.has_default) out += " = " + print_value(v.default_value);
      }
      out += ")";
    }
    out += print_directives(op.directives) + " " + print_selection_set(op.selections) + "\n";
  }
  for (auto& f : d.fragments) {
    out += "fragment " + f.name + " on " + f.type_condition + print_directives(f.directives) + " " +
           print_selection_set(f.selections) + "\n";
  }
  return out;
}

void check_selection(const Schema& schema, const std::string& type_name,
                     const std::vector<Selection>& selections, const Document& fragments,
                     std::vector<std::string>* errors) {
  const TypeDef* t = schema.find(type_name);
  if (!t) {
    errors->push_back("unknown type '" + type_name + "'");
    return;
  }
  Checker c{schema, fragments, errors, {}};
  c.selections(*t, selections);
}

std::vector<std::string> check_document(const Schema& schema, const Document& d) {
  std::vector<std::string> errors;
  std::set<std::string> names;
  for (auto& f : d.fragments)
    if (!names.insert(f.name).second)
      errors.push_back("fragment '" + f.name + "' is defined twice");
  if (d.operations.size() > 1) {
    std::set<std::string> ops;
    for (auto& op : d.operations)
      if (op.name.empty() || !ops.insert(op.name).second)
        errors.push_back(std::to_string(op.line) + ":" + std::to_string(op.col) +
                         ": with several operations, each needs a unique name");
  }
  for (auto& op : d.operations) {
    const std::string& root = op.type == "mutation"       ? schema.mutation_type
                              : op.type == "subscription" ? schema.subscription_type
                                                          : schema.query_type;
    if (root.empty()) {
      errors.push_back(std::to_string(op.line) + ":" + std::to_string(op.col) +
                       ": the schema has no " + op.type + " type");
      continue;
    }
    check_selection(schema, root, op.selections, d, &errors);
  }
  return errors;
}

}  // namespace toolgate::graphql
