#include "adapters/graphql/tool_schema.h"

#include <set>

namespace toolgate::graphql {
namespace {

// A selection stops growing here, so a wide type at depth 3 cannot turn
// into a query the server refuses for its size.
constexpr size_t kMaxDefaultFields = 250;

class SchemaBuilder {
 public:
  explicit SchemaBuilder(const Schema& s) : s_(s) {}

  json input_value(const InputValue& v) {
    json out = type(v.type, 0);
    std::string desc = v.description;
    if (out.contains("$ref")) out = {{"allOf", {out}}};  // siblings of $ref are ignored in draft 7
    if (!desc.empty()) out["description"] = desc;
    if (v.has_default && !v.default_value.is_null()) out["default"] = v.default_value;
    return out;
  }

  json object(const std::vector<InputValue>& values, const std::string& description) {
    json props = json::object(), required = json::array();
    for (auto& v : values) {
      props[v.name] = input_value(v);
      if (v.type.non_null() && !v.has_default) required.push_back(v.name);
    }
    json out = {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
    if (!required.empty()) out["required"] = required;
    if (!description.empty()) out["description"] = description;
    return out;
  }

  json defs() const { return defs_; }

 private:
  json type(const TypeRef& t, size_t pos) {
    while (pos < t.wrappers.size() && t.wrappers[pos] == '!') ++pos;
    if (pos < t.wrappers.size()) return {{"type", "array"}, {"items", type(t, pos + 1)}};
    const TypeDef* d = s_.find(t.name);
    if (!d) return json::object();
    switch (d->kind) {
      case Kind::enumeration: {
        json out = {{"type", "string"}, {"enum", d->enum_values}};
        if (!d->description.empty()) out["description"] = d->description;
        return out;
      }
      case Kind::input_object:
        if (!defs_.contains(d->name)) {
          defs_[d->name] = json::object();  // claimed first: a cycle ends at the $ref
          defs_[d->name] = object(d->input_fields, d->description);
        }
        return {{"$ref", "#/$defs/" + d->name}};
      default:
        return scalar(*d);
    }
  }

  json scalar(const TypeDef& d) {
    if (d.name == "Int")
      return {{"type", "integer"}, {"minimum", -2147483648LL}, {"maximum", 2147483647LL}};
    if (d.name == "Float") return {{"type", "number"}};
    if (d.name == "String") return {{"type", "string"}};
    if (d.name == "Boolean") return {{"type", "boolean"}};
    if (d.name == "ID") return {{"type", {"string", "integer"}}};
    json out = {{"type", "string"}};
    out["description"] =
        d.description.empty() ? "A " + d.name + " (custom scalar)" : d.name + ": " + d.description;
    return out;
  }

  const Schema& s_;
  json defs_ = json::object();
};

bool is_connection(const TypeDef& t) {
  return t.kind == Kind::object && t.name.size() > 10 &&
         t.name.compare(t.name.size() - 10, 10, "Connection") == 0 &&
         (t.field("nodes") || t.field("edges"));
}

bool needs_arguments(const FieldDef& f) {
  for (auto& a : f.args)
    if (a.type.non_null() && !a.has_default) return true;
  return false;
}

class Selector {
 public:
  explicit Selector(const Schema& s) : s_(s) {}

  // Fields of `t`, or "" when nothing can be selected.
  std::string select(const TypeDef& t, int depth) {
    // Connections and unions do not use up depth, so a schema whose
    // connection's nodes are connections again would recurse forever.
    if (nesting_ >= kMaxNesting) return "";
    ++nesting_;
    std::string out = select_fields(t, depth);
    --nesting_;
    return out;
  }

 private:
  std::string select_fields(const TypeDef& t, int depth) {
    if (t.kind == Kind::union_) {
      std::string out = "__typename";
      for (auto& m : t.members) {
        const TypeDef* mt = s_.find(m);
        std::string inner = mt ? select(*mt, depth) : "";
        if (!inner.empty()) out += " ... on " + m + " { " + inner + " }";
      }
      return out;
    }
    if (is_connection(t)) return connection(t, depth);
    std::string out;
    for (auto& f : t.fields) {
      if (count_ >= kMaxDefaultFields) break;
      if (f.deprecated || needs_arguments(f)) continue;
      const TypeDef* ft = s_.find(f.type.name);
      if (!ft) continue;
      if (!ft->composite()) {
        out += (out.empty() ? "" : " ") + f.name;
        ++count_;
      } else if (depth > 1) {
        std::string inner = select(*ft, depth - 1);
        if (!inner.empty()) out += (out.empty() ? "" : " ") + f.name + " { " + inner + " }";
      }
    }
    if (t.kind == Kind::interface) out = "__typename" + (out.empty() ? "" : " " + out);
    return out;
  }

  std::string connection(const TypeDef& t, int depth) {
    std::string out;
    auto add = [&](const std::string& s) { out += (out.empty() ? "" : " ") + s; };
    if (const FieldDef* f = t.field("totalCount"); f && !needs_arguments(*f)) add("totalCount");
    if (const FieldDef* f = t.field("pageInfo"); f && !needs_arguments(*f)) {
      if (const TypeDef* pi = s_.find(f->type.name); pi && pi->composite()) {
        std::string inner = select(*pi, 1);
        if (!inner.empty()) add("pageInfo { " + inner + " }");
      }
    }
    const FieldDef* nodes = t.field("nodes");
    if (nodes && !needs_arguments(*nodes)) {
      if (const TypeDef* nt = s_.find(nodes->type.name)) {
        std::string inner = nt->composite() ? select(*nt, depth) : "";
        if (!nt->composite())
          add("nodes");
        else if (!inner.empty())
          add("nodes { " + inner + " }");
      }
    } else if (const FieldDef* edges = t.field("edges")) {
      const TypeDef* et = s_.find(edges->type.name);
      const FieldDef* node = et ? et->field("node") : nullptr;
      const TypeDef* nt = node ? s_.find(node->type.name) : nullptr;
      if (nt) {
        std::string inner = nt->composite() ? select(*nt, depth) : "";
        if (!nt->composite())
          add("edges { node }");
        else if (!inner.empty())
          add("edges { node { " + inner + " } }");
      }
    }
    return out;
  }

  static constexpr int kMaxNesting = 16;
  const Schema& s_;
  size_t count_ = 0;
  int nesting_ = 0;
};

}  // namespace

json arguments_schema(const Schema& schema, const FieldDef& field) {
  SchemaBuilder b(schema);
  json out = b.object(field.args, "");
  if (!b.defs().empty()) out["$defs"] = b.defs();
  return out;
}

std::string default_selection(const Schema& schema, const TypeRef& type, int depth) {
  const TypeDef* t = schema.find(type.name);
  if (!t || !t->composite()) return "";
  std::string inner = Selector(schema).select(*t, std::max(depth, 1));
  return "{ " + (inner.empty() ? std::string("__typename") : inner) + " }";
}

}  // namespace toolgate::graphql
