// Reading an introspection result (a file, or a live endpoint's answer)
// into the same model the SDL parser builds. The JSON is untrusted: every
// field is type-checked and an error names the JSON path.
#include "adapters/graphql/schema_check.h"
#include "adapters/graphql/value.h"
#include "gateway/config/yaml_json.h"

namespace toolgate::graphql {

const char* const kIntrospectionQuery = R"(query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
})";

namespace {

class Reader {
 public:
  explicit Reader(const std::string& file) : file_(file) {}

  [[noreturn]] void fail(const std::string& path, const std::string& m) const {
    throw ConfigError(file_ + ": " + path + ": " + m);
  }

  const json& member(const json& obj, const char* key, const std::string& path) const {
    if (!obj.is_object()) fail(path, "expected an object");
    auto it = obj.find(key);
    if (it == obj.end()) fail(path, std::string("missing '") + key + "'");
    return *it;
  }

  std::string str(const json& obj, const char* key, const std::string& path,
                  bool optional = false) const {
    if (!obj.is_object()) fail(path, "expected an object");
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (optional) return "";
      fail(path, std::string("missing '") + key + "'");
    }
    if (!it->is_string()) fail(path + "/" + key, "expected a string");
    return it->get<std::string>();
  }

  // A list that may be null (absent for this kind of type).
  const json& list(const json& obj, const char* key, const std::string& path) const {
    static const json empty = json::array();
    if (!obj.is_object()) fail(path, "expected an object");
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return empty;
    if (!it->is_array()) fail(path + "/" + key, "expected a list");
    return *it;
  }

  TypeRef type_ref(const json& t, const std::string& path) const {
    TypeRef r;
    const json* cur = &t;
    std::string p = path;
    for (int depth = 0;; ++depth) {
      if (depth > kMaxNesting) fail(p, "type nested too deeply");
      std::string kind = str(*cur, "kind", p);
      if (kind == "NON_NULL" || kind == "LIST") {
        if (kind == "NON_NULL" && !r.wrappers.empty() && r.wrappers.back() == '!')
          fail(p, "NON_NULL of NON_NULL");
        r.wrappers += kind == "LIST" ? 'L' : '!';
        p += "/ofType";
        cur = &member(*cur, "ofType", p);
        continue;
      }
      r.name = str(*cur, "name", p);
      return r;
    }
  }

  InputValue input_value(const json& v, const std::string& path) const {
    InputValue iv;
    iv.name = str(v, "name", path);
    iv.description = str(v, "description", path, true);
    iv.type = type_ref(member(v, "type", path), path + "/type");
    std::string dv = str(v, "defaultValue", path, true);
    if (!dv.empty()) {
      try {
        Lexer lx(dv);
        iv.default_value = value_to_json(parse_value(lx, true));
        if (!lx.at_end()) lx.fail("expected the end of the value");
      } catch (const SyntaxError& e) {
        fail(path + "/defaultValue", std::string("not a GraphQL value: ") + e.what());
      }
      iv.has_default = true;
    }
    return iv;
  }

  std::string root(const json& s, const char* key) const {
    auto it = s.find(key);
    if (it == s.end() || it->is_null()) return "";
    return str(*it, "name", std::string("/__schema/") + key);
  }

 private:
  std::string file_;
};

Kind parse_kind(const Reader& r, const std::string& k, const std::string& path) {
  if (k == "SCALAR") return Kind::scalar;
  if (k == "OBJECT") return Kind::object;
  if (k == "INTERFACE") return Kind::interface;
  if (k == "UNION") return Kind::union_;
  if (k == "ENUM") return Kind::enumeration;
  if (k == "INPUT_OBJECT") return Kind::input_object;
  r.fail(path + "/kind", "unknown kind '" + k + "'");
}

}  // namespace

Schema from_introspection(const json& doc, const std::string& file) {
  Reader r(file);
  const json* root = &doc;
  if (doc.is_object() && doc.contains("data")) root = &doc["data"];
  if (!root->is_object() || !root->contains("__schema"))
    r.fail("/", "expected an introspection result ({\"data\": {\"__schema\": ...}})");
  const json& s = (*root)["__schema"];
  Schema out;
  out.query_type = r.root(s, "queryType");
  out.mutation_type = r.root(s, "mutationType");
  out.subscription_type = r.root(s, "subscriptionType");
  const json& types = r.list(s, "types", "/__schema");
  for (size_t i = 0; i < types.size(); ++i) {
    std::string p = "/__schema/types/" + std::to_string(i);
    const json& t = types[i];
    TypeDef d;
    d.name = r.str(t, "name", p);
    if (d.name.rfind("__", 0) == 0) continue;  // __Schema, __Type...: introspection's own
    d.kind = parse_kind(r, r.str(t, "kind", p), p);
    d.description = r.str(t, "description", p, true);
    const json& fields = r.list(t, "fields", p);
    for (size_t j = 0; j < fields.size(); ++j) {
      std::string fp = p + "/fields/" + std::to_string(j);
      const json& f = fields[j];
      FieldDef fd;
      fd.name = r.str(f, "name", fp);
      fd.description = r.str(f, "description", fp, true);
      const json& args = r.list(f, "args", fp);
      for (size_t k = 0; k < args.size(); ++k)
        fd.args.push_back(r.input_value(args[k], fp + "/args/" + std::to_string(k)));
      fd.type = r.type_ref(r.member(f, "type", fp), fp + "/type");
      if (auto dep = f.find("isDeprecated");
          dep != f.end() && dep->is_boolean() && dep->get<bool>()) {
        fd.deprecated = true;
        fd.deprecation = r.str(f, "deprecationReason", fp, true);
        if (fd.deprecation.empty()) fd.deprecation = "No longer supported";
      }
      d.fields.push_back(std::move(fd));
    }
    const json& inputs = r.list(t, "inputFields", p);
    for (size_t j = 0; j < inputs.size(); ++j)
      d.input_fields.push_back(r.input_value(inputs[j], p + "/inputFields/" + std::to_string(j)));
    const json& values = r.list(t, "enumValues", p);
    for (size_t j = 0; j < values.size(); ++j)
      d.enum_values.push_back(r.str(values[j], "name", p + "/enumValues/" + std::to_string(j)));
    if (d.kind == Kind::union_) {
      const json& members = r.list(t, "possibleTypes", p);
      for (size_t j = 0; j < members.size(); ++j)
        d.members.push_back(r.str(members[j], "name", p + "/possibleTypes/" + std::to_string(j)));
    }
    const json& ifaces = r.list(t, "interfaces", p);
    for (size_t j = 0; j < ifaces.size(); ++j)
      d.interfaces.push_back(r.str(ifaces[j], "name", p + "/interfaces/" + std::to_string(j)));
    if (out.types.count(d.name)) r.fail(p + "/name", "type '" + d.name + "' is listed twice");
    out.types.emplace(d.name, std::move(d));
  }
  add_builtin_scalars(&out);
  if (auto problem = check_schema(out)) {
    r.fail(problem->type.empty() ? "/__schema" : "type '" + problem->type + "'", problem->message);
  }
  return out;
}

}  // namespace toolgate::graphql
