// Loading OpenAPI 3.x and Swagger 2.0 documents into OpenApiSpec.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "adapters/openapi/spec_bundle.h"
#include "adapters/openapi/spec_model.h"
#include "common/text.h"
#include "gateway/config/yaml_json.h"

namespace toolgate::openapi {
namespace {

constexpr const char* kMethods[] = {"get",     "put",  "post",  "delete",
                                    "options", "head", "patch", "trace"};
constexpr int kMaxRefHops = 32;

struct Doc {
  YamlDoc yaml;  // marks only for YAML files
  bool is_yaml = false;
  std::string where(const std::string& ptr) const {
    return is_yaml ? yaml.where(ptr) : yaml.file + ": " + (ptr.empty() ? "/" : ptr);
  }
};

// A bad operation: skipped (with a warning) unless strict.
struct OpError {
  std::string where, message;
};

Doc parse_doc(const std::string& text, const std::string& path) {
  size_t first = text.find_first_not_of(" \t\r\n");
  Doc d;
  d.yaml.file = path;
  if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
    // JSON: parsed directly (yaml-cpp is far slower on multi-megabyte specs).
    auto j = parse_bounded(text, 256);
    if (!j) throw ConfigError(path + ": not valid JSON: " + j.error().message);
    d.yaml.value = std::move(*j);
  } else {
    // Real specs have more nodes than configs; without aliases a document
    // cannot have more nodes than bytes, so that bounds alias bombs too.
    d.yaml = parse_yaml(text, path, std::max<size_t>(200'000, text.size()), BadUtf8::replace);
    d.is_yaml = true;
  }
  return d;
}

// Follows "$ref": "#/..." until a non-reference object.
const json& deref(const json& root, const json& node, std::string* ptr) {
  const json* cur = &node;
  for (int hop = 0; hop < kMaxRefHops; ++hop) {
    if (!cur->is_object()) return *cur;
    auto r = cur->find("$ref");
    if (r == cur->end()) return *cur;
    if (!r->is_string() || r->get_ref<const std::string&>().rfind("#/", 0) != 0) {
      throw OpError{*ptr, "only references inside the document are supported: " + dump_safe(*r)};
    }
    std::string p = r->get<std::string>().substr(1);
    if (p.rfind(std::string("/") + kBadRefs + "/", 0) == 0) {
      throw OpError{*ptr, root.at(json::json_pointer(p)).get<std::string>()};
    }
    try {
      cur = &root.at(json::json_pointer(p));
    } catch (const json::exception&) {
      throw OpError{*ptr, "unresolvable $ref " + r->get<std::string>()};
    }
    *ptr = p;
  }
  throw OpError{*ptr, "a $ref chain longer than 32 (circular?)"};
}

std::string str(const json& o, const char* k) {
  auto it = o.find(k);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

// `swagger: 2.0` and `openapi: 3.1` unquoted in YAML are numbers.
std::string version_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.1f", v.get<double>());
    return buf;
  }
  if (v.is_number()) return std::to_string(v.get<int64_t>());
  return "";
}

bool is_json_media(const std::string& m) {
  return m == "application/json" || (m.find("+json") != std::string::npos) ||
         m.rfind("application/json;", 0) == 0;
}

// The first server, with its variables' defaults filled in.
std::string server_url(const json& root, int major) {
  if (major == 2) {
    std::string host = str(root, "host");
    if (host.empty()) return "";
    std::string scheme = "https";
    if (auto s = root.find("schemes");
        s != root.end() && s->is_array() && !s->empty() && (*s)[0].is_string()) {
      scheme = (*s)[0];
    }
    return scheme + "://" + host + str(root, "basePath");
  }
  auto servers = root.find("servers");
  if (servers == root.end() || !servers->is_array() || servers->empty()) return "";
  const json& s = (*servers)[0];
  std::string url = str(s, "url");
  if (auto vars = s.find("variables"); vars != s.end() && vars->is_object()) {
    for (auto& [name, v] : vars->items()) {
      std::string key = "{" + name + "}";
      std::string def = v.is_object() ? str(v, "default") : "";
      for (size_t at = url.find(key); at != std::string::npos; at = url.find(key, at + def.size()))
        url.replace(at, key.size(), def);
    }
  }
  return url;
}

// Swagger 2.0 non-body parameter -> a JSON Schema built from its own fields.
json swagger_param_schema(const json& p) {
  json s = json::object();
  for (const char* k : {"type", "format", "items", "enum", "default", "minimum", "maximum",
                        "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern",
                        "minItems", "maxItems", "uniqueItems", "multipleOf"}) {
    if (p.contains(k)) s[k] = p[k];
  }
  return s;
}

Param read_param(const json& root, const json& raw, std::string ptr, int major) {
  const json& p = deref(root, raw, &ptr);
  if (!p.is_object()) throw OpError{ptr, "a parameter must be an object"};
  Param out;
  out.name = str(p, "name");
  out.in = str(p, "in");
  if (out.name.empty() || out.in.empty()) throw OpError{ptr, "a parameter needs name and in"};
  out.required = out.in == "path" || p.value("required", false);
  out.description = str(p, "description");
  if (major == 2) {
    out.schema = convert_schema(swagger_param_schema(p), true, major);
    std::string cf = str(p, "collectionFormat");
    out.style = cf == "ssv" ? "spaceDelimited" : cf == "pipes" ? "pipeDelimited" : "form";
    out.explode = cf == "multi";
    if (out.in == "path" || out.in == "header") out.style = "simple";
  } else {
    json schema = p.value("schema", json::object());
    if (auto c = p.find("content"); c != p.end() && c->is_object() && !c->empty()) {
      schema = c->begin()->value("schema", json::object());
    }
    out.schema = convert_schema(schema, true, major);
    out.style = str(p, "style");
    if (out.style.empty())
      out.style = (out.in == "query" || out.in == "cookie") ? "form" : "simple";
    out.explode = p.value("explode", out.style == "form");
    out.allow_reserved = p.value("allowReserved", false);
  }
  if (!out.description.empty() && out.schema.is_object() && !out.schema.contains("description"))
    out.schema["description"] = out.description;
  if (out.in == "header" || out.in == "cookie") {
    static const std::string kToken = "!#$%&'*+-.^_`|~";
    for (unsigned char c : out.name)
      if (!std::isalnum(c) && kToken.find(char(c)) == std::string::npos)
        throw OpError{ptr, "invalid " + out.in + " parameter name '" + out.name + "'"};
  }
  // MCP 2026-07-28: a parameter marked x-mcp-header travels in an
  // Mcp-Param-{Name} header too, so its argument's schema carries the mark
  // (clients send the header, the gateway checks it against the body).
  if (auto h = p.find("x-mcp-header"); h != p.end()) {
    std::string name = h->is_string() ? h->get<std::string>() : "";
    bool ok = !name.empty();
    for (unsigned char c : name) ok = ok && (std::isalnum(c) || c == '-' || c == '_');
    if (!ok)
      throw OpError{ptr + "/x-mcp-header", "must be a header name (letters, digits, - and _)"};
    if (out.schema.is_object()) out.schema["x-mcp-header"] = name;
  }
  // A path value must be a non-empty segment; say so in the schema.
  if (out.in == "path" && out.schema.is_object() && out.schema.value("type", json()) == "string" &&
      !out.schema.contains("minLength"))
    out.schema["minLength"] = 1;
  return out;
}

// Picks the request body's media type: JSON first, then forms, text, bytes.
std::string pick_media(const json& content) {
  std::string first;
  for (auto& [m, v] : content.items()) {
    if (first.empty()) first = m;
    if (is_json_media(m)) return m;
  }
  for (const char* pref : {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain",
                           "application/octet-stream"}) {
    if (content.contains(pref)) return pref;
  }
  return first;
}

json response_schema(const json& root, const json& responses, std::string ptr, int major) {
  if (!responses.is_object()) return nullptr;
  for (auto& [code, raw] : responses.items()) {
    if (code.size() != 3 || code[0] != '2') continue;
    std::string rptr = ptr + "/" + pointer_escape(code);
    const json& r = deref(root, raw, &rptr);
    if (!r.is_object()) continue;
    json schema;
    if (major == 2) {
      if (r.contains("schema")) schema = r["schema"];
    } else if (auto c = r.find("content"); c != r.end() && c->is_object()) {
      for (auto& [m, v] : c->items()) {
        if (is_json_media(m) && v.is_object() && v.contains("schema")) {
          schema = v["schema"];
          break;
        }
      }
    }
    if (schema.is_null()) return nullptr;
    return convert_schema(schema, false, major);
  }
  return nullptr;
}

Operation read_operation(const json& root, const std::string& path, const std::string& method,
                         const json& op, const json& path_params, const std::string& ptr, int major,
                         const json& consumes) {
  Operation o;
  o.method = method;
  for (auto& c : o.method) c = char(std::toupper(static_cast<unsigned char>(c)));
  o.path = path;
  o.pointer = ptr;
  o.operation_id = str(op, "operationId");
  o.summary = str(op, "summary");
  o.description = str(op, "description");
  if (auto t = op.find("tags"); t != op.end() && t->is_array())
    for (auto& x : *t)
      if (x.is_string()) o.tags.push_back(x);
  if (op.contains("security")) o.security = op["security"];

  // Operation parameters override path-level ones with the same name and place.
  std::vector<std::pair<json, std::string>> raw;
  if (path_params.is_array())
    for (size_t i = 0; i < path_params.size(); ++i)
      raw.push_back(
          {path_params[i], ptr.substr(0, ptr.rfind('/')) + "/parameters/" + std::to_string(i)});
  if (auto ps = op.find("parameters"); ps != op.end() && ps->is_array())
    for (size_t i = 0; i < ps->size(); ++i)
      raw.push_back({(*ps)[i], ptr + "/parameters/" + std::to_string(i)});
  std::vector<Param> params;
  json form = {{"type", "object"}, {"properties", json::object()}, {"required", json::array()}};
  for (auto& [p, pptr] : raw) {
    std::string at = pptr;
    const json& resolved = deref(root, p, &at);
    if (major == 2 && str(resolved, "in") == "body") {
      o.body_schema = convert_schema(resolved.value("schema", json::object()), true, major);
      o.body_required = resolved.value("required", false);
      o.body_media = "application/json";
      if (consumes.is_array() && !consumes.empty()) {
        json as_content = json::object();
        for (auto& c : consumes)
          if (c.is_string()) as_content[c.get<std::string>()] = json::object();
        if (!as_content.empty()) o.body_media = pick_media(as_content);  // JSON first
      }
      continue;
    }
    if (major == 2 && str(resolved, "in") == "formData") {
      std::string name = str(resolved, "name");
      form["properties"][name] = convert_schema(swagger_param_schema(resolved), true, major);
      if (resolved.value("required", false)) form["required"].push_back(name);
      continue;
    }
    Param np = read_param(root, p, pptr, major);
    // OpenAPI: header parameters named Accept, Content-Type or Authorization
    // are ignored (the media types and security schemes decide those).
    std::string lname = ascii_lower(np.name);
    if (np.in == "header" && (lname == "accept" || lname == "content-type" ||
                              lname == "authorization" || lname == "cookie"))
      continue;
    bool replaced = false;
    for (auto& existing : params) {
      if (existing.name == np.name && existing.in == np.in) {
        existing = np;
        replaced = true;
      }
    }
    if (!replaced) params.push_back(std::move(np));
  }
  if (!form["properties"].empty()) {
    o.body_schema = form;
    o.body_required = !form["required"].empty();
    bool multipart = false;
    if (consumes.is_array())
      for (auto& c : consumes) multipart = multipart || c == "multipart/form-data";
    o.body_media = multipart ? "multipart/form-data" : "application/x-www-form-urlencoded";
  }
  if (major == 3) {
    if (auto rb = op.find("requestBody"); rb != op.end()) {
      std::string bptr = ptr + "/requestBody";
      const json& body = deref(root, *rb, &bptr);
      auto content = body.find("content");
      if (content != body.end() && content->is_object() && !content->empty()) {
        o.body_media = pick_media(*content);
        const json& media = (*content)[o.body_media];
        o.body_schema = convert_schema(
            media.is_object() ? media.value("schema", json::object()) : json::object(), true,
            major);
        o.body_required = body.value("required", false);
        if (o.body_media == "application/octet-stream" && o.body_schema.is_object()) {
          o.body_schema = {{"type", "string"},
                           {"contentEncoding", "base64"},
                           {"description", "The body's bytes, base64-encoded"}};
        }
      }
    }
  }
  // Path template parameters must all be declared.
  for (size_t at = path.find('{'); at != std::string::npos; at = path.find('{', at + 1)) {
    size_t close = path.find('}', at);
    if (close == std::string::npos) throw OpError{ptr, "malformed path template " + path};
    std::string name = path.substr(at + 1, close - at - 1);
    bool found = false;
    for (auto& p : params) found = found || (p.in == "path" && p.name == name);
    if (!found) throw OpError{ptr, "path parameter {" + name + "} is not declared"};
  }
  // Argument names: the parameter's name; on a clash (or with "body"),
  // prefixed by where it goes: path_id, query_id.
  std::set<std::string> taken;
  if (!o.body_schema.is_null()) taken.insert("body");
  for (auto& p : params) {
    p.arg = p.name;
    if (taken.count(p.arg)) p.arg = p.in + "_" + p.name;
    for (int n = 2; taken.count(p.arg); ++n) p.arg = p.in + "_" + p.name + std::to_string(n);
    taken.insert(p.arg);
  }
  o.params = std::move(params);
  o.output_schema =
      response_schema(root, op.value("responses", json::object()), ptr + "/responses", major);
  return o;
}

}  // namespace

namespace {
OpenApiSpec load_document(const std::string& text, const std::string& path, bool local_file,
                          bool strict, const Warn& warn);
}  // namespace

OpenApiSpec load_openapi(const std::string& path, bool strict, const Warn& warn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open the OpenAPI spec");
  std::stringstream ss;
  ss << in.rdbuf();
  return load_openapi_text(ss.str(), path, true, strict, warn);
}

OpenApiSpec load_openapi_text(const std::string& text, const std::string& path, bool local_file,
                              bool strict, const Warn& warn) {
  // A hostile document can put anything anywhere: a wrong type that slips
  // past the checks below is a load error, never an escaping exception.
  try {
    return load_document(text, path, local_file, strict, warn);
  } catch (const json::exception& e) {
    throw ConfigError(path + ": malformed OpenAPI document: " + e.what());
  }
}

namespace {

OpenApiSpec load_document(const std::string& text, const std::string& path, bool local_file,
                          bool strict, const Warn& warn) {
  Doc doc = parse_doc(text, path);
  if (doc.yaml.value.is_object() &&
      (doc.yaml.value.contains("swagger") || doc.yaml.value.contains("openapi"))) {
    bundle_external_refs(doc.yaml.value, path, doc.yaml.value.contains("swagger") ? 2 : 3,
                         local_file);
  }
  const json& root = doc.yaml.value;
  if (!root.is_object()) throw ConfigError(doc.where("") + ": an OpenAPI document is a mapping");
  OpenApiSpec spec;
  if (root.contains("swagger")) {
    spec.version = version_of(root["swagger"]);
    if (spec.version != "2.0")
      throw ConfigError(doc.where("/swagger") + ": unsupported Swagger version " + spec.version);
    spec.major = 2;
  } else if (root.contains("openapi")) {
    spec.version = version_of(root["openapi"]);
    if (spec.version.rfind("3.", 0) != 0)
      throw ConfigError(doc.where("/openapi") + ": unsupported OpenAPI version " + spec.version);
    spec.major = 3;
  } else {
    throw ConfigError(doc.where("") + ": not an OpenAPI document (no `openapi` or `swagger` key)");
  }
  spec.server_url = server_url(root, spec.major);
  const json& schemas =
      spec.major == 2 ? root.value("definitions", json::object())
                      : root.value("components", json::object()).value("schemas", json::object());
  if (schemas.is_object()) {
    for (auto& [name, s] : schemas.items()) {
      if (!s.is_object() && !s.is_boolean()) continue;
      spec.defs[name] = convert_schema(s, true, spec.major);
      spec.defs_out[name] = convert_schema(s, false, spec.major);
    }
  }
  spec.security_schemes =
      spec.major == 2
          ? root.value("securityDefinitions", json::object())
          : root.value("components", json::object()).value("securitySchemes", json::object());
  if (root.contains("security")) spec.security = root["security"];
  json consumes = root.value("consumes", json::array());

  auto paths = root.find("paths");
  if (paths == root.end() || !paths->is_object()) {
    // 3.1 documents may describe only webhooks or components.
    if (spec.version.rfind("3.1", 0) == 0 &&
        (root.contains("webhooks") || root.contains("components"))) {
      warn(doc.where(""), "the spec has no `paths`, so it gives no tools (webhooks are not tools)");
      return spec;
    }
    throw ConfigError(doc.where("") + ": the spec has no `paths`");
  }
  for (auto& [p, item_raw] : paths->items()) {
    std::string iptr = "/paths/" + pointer_escape(p);
    if (!item_raw.is_object()) continue;
    for (const char* m : kMethods) {
      auto op = item_raw.find(m);
      if (op == item_raw.end()) continue;
      std::string optr = iptr + "/" + m;
      try {
        if (!op->is_object()) throw OpError{optr, "an operation must be a mapping"};
        json op_consumes = op->value("consumes", consumes);
        spec.operations.push_back(read_operation(root, p, m, *op,
                                                 item_raw.value("parameters", json::array()), optr,
                                                 spec.major, op_consumes));
      } catch (const OpError& e) {
        std::string where = doc.where(e.where);
        if (strict) throw ConfigError(where + ": " + e.message);
        warn(where, e.message + "; the operation is skipped");
      } catch (const json::exception& e) {
        std::string where = doc.where(optr);
        if (strict) throw ConfigError(where + ": malformed operation: " + e.what());
        warn(where, std::string("malformed operation (") + e.what() + "); it is skipped");
      }
    }
  }
  return spec;
}

}  // namespace
}  // namespace toolgate::openapi
