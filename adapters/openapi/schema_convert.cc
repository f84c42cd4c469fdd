// OpenAPI schema objects to JSON Schema (draft 7 as valijson reads it).
#include "adapters/openapi/spec_model.h"

namespace toolgate::openapi {
namespace {

// "#/components/schemas/X/..." (3.x) or "#/definitions/X/..." (2.0) ->
// "#/$defs/X/...". Anything else: empty (not a component schema).
std::string rewrite_ref(const std::string& ref) {
  for (const char* prefix : {"#/components/schemas/", "#/definitions/"}) {
    std::string p = prefix;
    if (ref.rfind(p, 0) == 0 && ref.size() > p.size()) return "#/$defs/" + ref.substr(p.size());
  }
  return "";
}

bool flag(const json& s, const char* k) {
  auto it = s.find(k);
  return it != s.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

json convert_schema(const json& s, bool request, int major) {
  if (s.is_boolean()) return s;
  if (!s.is_object()) return json::object();
  if (auto r = s.find("$ref"); r != s.end()) {
    std::string to = r->is_string() ? rewrite_ref(*r) : "";
    // A reference we cannot follow accepts anything rather than failing
    // every call; the upstream still validates.
    return to.empty() ? json::object() : json{{"$ref", to}};
  }
  json out = json::object();
  for (auto& [k, v] : s.items()) {
    if (k.rfind("x-", 0) == 0 || k == "discriminator" || k == "xml" || k == "externalDocs" ||
        k == "nullable" || k == "example" || k == "deprecated" || k == "collectionFormat") {
      continue;
    }
    if (k == "properties" && v.is_object()) {
      json props = json::object();
      for (auto& [name, ps] : v.items()) {
        // Read-only properties are answers, never inputs; write-only ones
        // never come back.
        if (request ? flag(ps, "readOnly") : flag(ps, "writeOnly")) continue;
        props[name] = convert_schema(ps, request, major);
      }
      out[k] = std::move(props);
    } else if ((k == "items" || k == "additionalProperties" || k == "not" || k == "propertyNames" ||
                k == "contains" || k == "additionalItems" || k == "if" || k == "then" ||
                k == "else" || k == "unevaluatedProperties" || k == "unevaluatedItems") &&
               (v.is_object() || v.is_boolean())) {
      out[k] = convert_schema(v, request, major);
    } else if ((k == "patternProperties" || k == "$defs" || k == "definitions" ||
                k == "dependentSchemas") &&
               v.is_object()) {
      json m = json::object();
      for (auto& [name, sub] : v.items()) m[name] = convert_schema(sub, request, major);
      out[k] = std::move(m);
    } else if (k == "dependencies" && v.is_object()) {
      json m = json::object();
      for (auto& [name, sub] : v.items())
        m[name] = sub.is_array() ? sub : convert_schema(sub, request, major);
      out[k] = std::move(m);
    } else if ((k == "allOf" || k == "oneOf" || k == "anyOf" || k == "prefixItems" ||
                k == "items") &&
               v.is_array()) {
      json list = json::array();
      for (auto& x : v) list.push_back(convert_schema(x, request, major));
      out[k] = std::move(list);
    } else if ((k == "required" || k == "enum" || k == "examples") && !v.is_array()) {
      continue;  // malformed (e.g. OpenAPI 2 style `required: true`): dropped
    } else if (k == "type" && v.is_string() && v == "file") {
      out["type"] = "string";  // Swagger 2.0 file upload: base64 in the argument
      out["contentEncoding"] = "base64";
    } else {
      out[k] = v;
    }
  }
  if (auto e = s.find("example"); e != s.end() && !out.contains("examples")) {
    out["examples"] = json::array({*e});
  }
  // 3.0 `nullable: true`: null is allowed too (3.1 writes type lists itself).
  if (flag(s, "nullable")) {
    if (out.contains("type") && out["type"].is_string()) {
      out["type"] = json::array({out["type"], "null"});
    }
    if (out.contains("enum") && out["enum"].is_array()) out["enum"].push_back(nullptr);
  }
  // OpenAPI 3.0 and Swagger 2.0 write exclusive bounds as booleans beside
  // minimum/maximum (JSON Schema draft 4); draft 7 wants the bound itself.
  for (auto [excl, bound] :
       {std::pair{"exclusiveMaximum", "maximum"}, std::pair{"exclusiveMinimum", "minimum"}}) {
    auto e = out.find(excl);
    if (e == out.end() || !e->is_boolean()) continue;
    bool on = e->get<bool>();
    out.erase(excl);
    if (on && out.contains(bound)) {
      out[excl] = out[bound];
      out.erase(bound);
    }
  }
  // The properties dropped above cannot stay required.
  if (out.contains("required") && out["required"].is_array() && out.contains("properties")) {
    json req = json::array();
    for (auto& r : out["required"]) {
      if (!r.is_string() || out["properties"].contains(r.get<std::string>()))
        req.push_back(r);
      else if (!s["properties"].contains(r.get<std::string>()))
        req.push_back(r);
    }
    out["required"] = std::move(req);
  }
  return out;
}

}  // namespace toolgate::openapi
