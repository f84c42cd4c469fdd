// The SDL parser (spec section 3, type system definitions and extensions).
// It reads untrusted text: sizes and nesting are bounded, and every error
// is "file:line:col: message".
#include <set>
#include <unordered_map>

#include "adapters/graphql/schema_check.h"
#include "adapters/graphql/value.h"
#include "gateway/config/yaml_json.h"

namespace toolgate::graphql {
namespace {

constexpr size_t kMaxSdlBytes = 64u << 20;

struct Pos {
  int line = 0, col = 0;
  bool operator==(const Pos&) const = default;
};

// An `extend` waiting for every definition to be read.
struct Extension {
  Pos at;
  TypeDef def;
};

class SdlParser {
 public:
  SdlParser(std::string_view text, const std::string& file, std::vector<std::string>* warnings)
      : lx_(text), file_(file), warnings_(warnings) {}

  Schema parse() {
    while (!lx_.at_end()) definition();
    for (auto& e : extensions_) apply(e);
    if (schema_def_ == Pos{}) {
      // Without `schema { ... }`, the roots are the types with the
      // conventional names, when they exist.
      if (s_.types.count("Query")) s_.query_type = "Query";
      if (s_.types.count("Mutation")) s_.mutation_type = "Mutation";
      if (s_.types.count("Subscription")) s_.subscription_type = "Subscription";
    }
    add_builtin_scalars(&s_);
    for (auto& [name, at] : refs_) {
      if (!s_.types.count(name)) throw SyntaxError(at.line, at.col, "unknown type '" + name + "'");
    }
    if (auto p = check_schema(s_)) {
      Pos at = p->type.empty() ? schema_def_ : defined_at_[p->type];
      if (at == Pos{}) throw ConfigError(file_ + ": " + p->message);
      throw SyntaxError(at.line, at.col, p->message);
    }
    return std::move(s_);
  }

 private:
  Pos here() const { return {lx_.peek().line, lx_.peek().col}; }

  void definition() {
    std::string desc;
    bool described = false;
    if (lx_.peek().kind == Tok::string_value) {
      desc = lx_.next().text;
      described = true;
    }
    Pos at = here();
    if (lx_.peek().kind != Tok::name) lx_.fail("expected a definition");
    std::string kw = lx_.next().text;
    if (kw == "extend") {
      if (described) lx_.fail_at(lx_.peek(), "an extension cannot have a description");
      extension(at);
      return;
    }
    if (kw == "schema") {
      if (schema_def_ != Pos{}) throw SyntaxError(at.line, at.col, "a second schema definition");
      schema_def_ = at;
      directives();
      root_operations();
      return;
    }
    if (kw == "directive") {
      directive_definition();
      return;
    }
    if (kw == "query" || kw == "mutation" || kw == "subscription" || kw == "fragment") {
      throw SyntaxError(at.line, at.col,
                        "'" + kw + "': operations and fragments do not belong in a schema");
    }
    TypeDef t = type_body(kw, at);
    t.description = desc;
    if (s_.types.count(t.name))
      throw SyntaxError(at.line, at.col, "type '" + t.name + "' is defined twice");
    defined_at_[t.name] = at;
    s_.types.emplace(t.name, std::move(t));
  }

  // Everything after the keyword of a type definition or extension.
  TypeDef type_body(const std::string& kw, Pos at) {
    TypeDef t;
    if (kw == "scalar") {
      t.kind = Kind::scalar;
    } else if (kw == "type") {
      t.kind = Kind::object;
    } else if (kw == "interface") {
      t.kind = Kind::interface;
    } else if (kw == "union") {
      t.kind = Kind::union_;
    } else if (kw == "enum") {
      t.kind = Kind::enumeration;
    } else if (kw == "input") {
      t.kind = Kind::input_object;
    } else {
      throw SyntaxError(at.line, at.col, "unknown definition '" + kw + "'");
    }
    t.name = lx_.expect_name();
    if (t.kind == Kind::object || t.kind == Kind::interface) {
      if (lx_.accept_keyword("implements")) {
        lx_.accept("&");
        do {
          Pos p = here();
          t.interfaces.push_back(lx_.expect_name());
          refs_.emplace_back(t.interfaces.back(), p);
        } while (lx_.accept("&"));
      }
    }
    directives();
    switch (t.kind) {
      case Kind::object:
      case Kind::interface:
        if (lx_.accept("{")) {
          std::unordered_map<std::string, size_t> index;
          while (!lx_.accept("}")) {
            Token at = lx_.peek();
            add_field(&t, &index, field_definition(), at);
          }
        }
        break;
      case Kind::union_:
        if (lx_.accept("=")) {
          lx_.accept("|");
          do {
            Pos p = here();
            t.members.push_back(lx_.expect_name());
            refs_.emplace_back(t.members.back(), p);
          } while (lx_.accept("|"));
        }
        break;
      case Kind::enumeration:
        if (lx_.accept("{")) {
          std::set<std::string> seen;
          while (!lx_.accept("}")) {
            if (lx_.peek().kind == Tok::string_value) lx_.next();
            Token v = lx_.peek();
            std::string name = lx_.expect_name();
            if (name == "true" || name == "false" || name == "null")
              lx_.fail_at(v, "'" + name + "' cannot be an enum value");
            directives();
            if (!seen.insert(name).second)
              lx_.fail_at(v, "enum value '" + t.name + "." + name + "' is defined twice");
            t.enum_values.push_back(name);
          }
        }
        break;
      case Kind::input_object:
        if (lx_.accept("{")) {
          std::set<std::string> seen;
          while (!lx_.accept("}")) {
            Token at = lx_.peek();
            t.input_fields.push_back(input_value());
            if (!seen.insert(t.input_fields.back().name).second)
              lx_.fail_at(at, "input field '" + t.name + "." + t.input_fields.back().name +
                                  "' is defined twice");
          }
        }
        break;
      case Kind::scalar:
        break;
    }
    return t;
  }

  // GitHub's published SDL defines some fields twice, identically but for
  // the description: that is tolerated (the first is kept, with a warning);
  // two different definitions are an error.
  void add_field(TypeDef* t, std::unordered_map<std::string, size_t>* index, FieldDef f,
                 const Token& at) {
    auto [it, fresh] = index->emplace(f.name, t->fields.size());
    if (!fresh) {
      const FieldDef& g = t->fields[it->second];
      bool same = g.type == f.type && g.args.size() == f.args.size();
      for (size_t i = 0; same && i < g.args.size(); ++i)
        same = g.args[i].name == f.args[i].name && g.args[i].type == f.args[i].type;
      std::string what = "field '" + t->name + "." + f.name + "' is defined twice";
      if (!same) lx_.fail_at(at, what + ", differently");
      if (warnings_) {
        warnings_->push_back(file_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.col) +
                             ": " + what + "; the first definition is kept");
      }
      return;
    }
    t->fields.push_back(std::move(f));
  }

  void extension(Pos at) {
    Token kw = lx_.peek();
    std::string k = lx_.expect_name();
    if (k == "schema") {
      directives();
      if (lx_.is_punct("{")) root_operations();
      return;
    }
    extensions_.push_back({at, type_body(k, {kw.line, kw.col})});
  }

  void apply(Extension& e) {
    auto it = s_.types.find(e.def.name);
    if (it == s_.types.end())
      throw SyntaxError(e.at.line, e.at.col, "'extend' of unknown type '" + e.def.name + "'");
    TypeDef& t = it->second;
    if (t.kind != e.def.kind) {
      throw SyntaxError(e.at.line, e.at.col,
                        "'extend' of " + std::string(to_string(t.kind)) + " '" + t.name +
                            "' as a different kind of type");
    }
    auto append = [&](auto& to, auto& from, auto key, const char* what) {
      std::set<std::string> have;
      for (auto& y : to) have.insert(key(y));
      for (auto& x : from) {
        if (!have.insert(key(x)).second)
          throw SyntaxError(e.at.line, e.at.col,
                            "'extend' adds " + std::string(what) + " '" + key(x) + "' that '" +
                                t.name + "' already has");
        to.push_back(std::move(x));
      }
    };
    auto by_name = [](const auto& x) -> std::string { return x.name; };
    auto self = [](const std::string& x) { return x; };
    append(t.fields, e.def.fields, by_name, "field");
    append(t.input_fields, e.def.input_fields, by_name, "input field");
    append(t.enum_values, e.def.enum_values, self, "value");
    append(t.members, e.def.members, self, "member");
    append(t.interfaces, e.def.interfaces, self, "interface");
  }

  void root_operations() {
    lx_.expect("{");
    while (!lx_.accept("}")) {
      Token op = lx_.peek();
      std::string kind = lx_.expect_name();
      lx_.expect(":");
      Pos p = here();
      std::string type = lx_.expect_name();
      refs_.emplace_back(type, p);
      std::string* slot = kind == "query"          ? &s_.query_type
                          : kind == "mutation"     ? &s_.mutation_type
                          : kind == "subscription" ? &s_.subscription_type
                                                   : nullptr;
      if (!slot) lx_.fail_at(op, "expected query, mutation or subscription");
      if (!slot->empty()) lx_.fail_at(op, "the " + kind + " root is given twice");
      *slot = type;
    }
  }

  void directive_definition() {
    lx_.expect("@");
    lx_.expect_name();
    if (lx_.accept("(")) {
      while (!lx_.accept(")")) input_value();
    }
    lx_.accept_keyword("repeatable");
    if (!lx_.accept_keyword("on")) lx_.fail("expected 'on' and the directive's locations");
    lx_.accept("|");
    do lx_.expect_name();
    while (lx_.accept("|"));
  }

  FieldDef field_definition() {
    FieldDef f;
    if (lx_.peek().kind == Tok::string_value) f.description = lx_.next().text;
    f.name = lx_.expect_name();
    if (lx_.accept("(")) {
      std::set<std::string> seen;
      while (!lx_.accept(")")) {
        Token at = lx_.peek();
        f.args.push_back(input_value());
        if (!seen.insert(f.args.back().name).second)
          lx_.fail_at(at, "argument '" + f.args.back().name + "' is defined twice");
      }
    }
    lx_.expect(":");
    f.type = type_ref();
    json dirs = directives();
    if (dirs.contains("deprecated")) {
      f.deprecated = true;
      const json& r = dirs["deprecated"];
      f.deprecation = r.contains("reason") && r["reason"].is_string()
                          ? r["reason"].get<std::string>()
                          : "No longer supported";
    }
    return f;
  }

  InputValue input_value() {
    InputValue v;
    if (lx_.peek().kind == Tok::string_value) v.description = lx_.next().text;
    v.name = lx_.expect_name();
    lx_.expect(":");
    v.type = type_ref();
    if (lx_.accept("=")) {
      v.has_default = true;
      v.default_value = value_to_json(parse_value(lx_, true));
    }
    directives();
    return v;
  }

  TypeRef type_ref() {
    Token at;
    TypeRef t = parse_type_ref(lx_, &at);
    refs_.emplace_back(t.name, Pos{at.line, at.col});
    return t;
  }

  // Applied directives; returns {name: {arg: json value}} for the few the
  // adapter reads (@deprecated).
  json directives() {
    json out = json::object();
    while (lx_.accept("@")) {
      std::string name = lx_.expect_name();
      json args = json::object();
      if (lx_.accept("(")) {
        while (!lx_.accept(")")) {
          std::string a = lx_.expect_name();
          lx_.expect(":");
          args[a] = value_to_json(parse_value(lx_, true));
        }
      }
      out[name] = std::move(args);
    }
    return out;
  }

  Lexer lx_;
  std::string file_;
  std::vector<std::string>* warnings_;
  Schema s_;
  Pos schema_def_;
  std::map<std::string, Pos> defined_at_;
  std::vector<std::pair<std::string, Pos>> refs_;
  std::vector<Extension> extensions_;
};

}  // namespace

Schema parse_sdl(std::string_view text, const std::string& file,
                 std::vector<std::string>* warnings) {
  if (text.size() > kMaxSdlBytes)
    throw ConfigError(file + ": the schema is larger than " + std::to_string(kMaxSdlBytes) +
                      " bytes");
  try {
    SdlParser p(text, file, warnings);
    return p.parse();
  } catch (const SyntaxError& e) {
    throw ConfigError(file + ":" + std::to_string(e.line) + ":" + std::to_string(e.col) + ": " +
                      e.what());
  }
}

}  // namespace toolgate::graphql
