#include "adapters/graphql/schema_check.h"

namespace toolgate::graphql {

std::string TypeRef::str() const {
  std::string out = name;
  // Applied from the inside out.
  for (size_t i = wrappers.size(); i-- > 0;) out = wrappers[i] == 'L' ? "[" + out + "]" : out + "!";
  return out;
}

const char* to_string(Kind k) {
  switch (k) {
    case Kind::scalar:
      return "scalar";
    case Kind::object:
      return "object type";
    case Kind::interface:
      return "interface";
    case Kind::union_:
      return "union";
    case Kind::enumeration:
      return "enum";
    case Kind::input_object:
      return "input type";
  }
  return "type";
}

const FieldDef* TypeDef::field(std::string_view n) const {
  for (auto& f : fields)
    if (f.name == n) return &f;
  return nullptr;
}

const TypeDef* Schema::find(std::string_view name) const {
  auto it = types.find(name);
  return it == types.end() ? nullptr : &it->second;
}

void add_builtin_scalars(Schema* s) {
  for (const char* n : {"Int", "Float", "String", "Boolean", "ID"}) {
    if (s->types.count(n)) continue;
    TypeDef t;
    t.kind = Kind::scalar;
    t.name = n;
    s->types.emplace(n, std::move(t));
  }
}

std::optional<SchemaProblem> check_schema(const Schema& s) {
  auto kind_of = [&](const std::string& n) -> const TypeDef* { return s.find(n); };
  auto unknown = [](const std::string& t, const std::string& what, const std::string& n) {
    return SchemaProblem{t, what + " refers to unknown type '" + n + "'"};
  };
  for (auto& [name, t] : s.types) {
    for (auto& f : t.fields) {
      const TypeDef* ft = kind_of(f.type.name);
      if (!ft) return unknown(name, "field '" + name + "." + f.name + "'", f.type.name);
      if (ft->kind == Kind::input_object)
        return SchemaProblem{
            name, "field '" + name + "." + f.name + "' returns input type '" + ft->name + "'"};
      for (auto& a : f.args) {
        const TypeDef* at = kind_of(a.type.name);
        std::string where = "argument '" + name + "." + f.name + "(" + a.name + ")'";
        if (!at) return unknown(name, where, a.type.name);
        if (at->composite())
          return SchemaProblem{name, where + " takes output type '" + at->name + "'"};
      }
    }
    for (auto& a : t.input_fields) {
      const TypeDef* at = kind_of(a.type.name);
      std::string where = "input field '" + name + "." + a.name + "'";
      if (!at) return unknown(name, where, a.type.name);
      if (at->composite())
        return SchemaProblem{name, where + " takes output type '" + at->name + "'"};
    }
    for (auto& m : t.members) {
      const TypeDef* mt = kind_of(m);
      if (!mt) return unknown(name, "union '" + name + "'", m);
      if (mt->kind != Kind::object)
        return SchemaProblem{name, "union '" + name + "' member '" + m + "' is not an object type"};
    }
    for (auto& i : t.interfaces) {
      const TypeDef* it = kind_of(i);
      if (!it) return unknown(name, "'" + name + "' implements", i);
      if (it->kind != Kind::interface)
        return SchemaProblem{name, "'" + name + "' implements '" + i + "', not an interface"};
    }
    if ((t.kind == Kind::object || t.kind == Kind::interface) && t.fields.empty())
      return SchemaProblem{name, std::string(to_string(t.kind)) + " '" + name + "' has no fields"};
  }
  for (auto* root : {&s.query_type, &s.mutation_type, &s.subscription_type}) {
    if (root->empty()) continue;
    const TypeDef* rt = kind_of(*root);
    if (!rt) return SchemaProblem{"", "the root type '" + *root + "' is not defined"};
    if (rt->kind != Kind::object)
      return SchemaProblem{"", "the root type '" + *root + "' is not an object type"};
  }
  if (s.query_type.empty()) return SchemaProblem{"", "the schema has no query root type"};
  return std::nullopt;
}

}  // namespace toolgate::graphql
