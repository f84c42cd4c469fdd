#include "adapters/openapi/openapi_adapter.h"

#include <sys/stat.h>

#include <chrono>

#include <algorithm>
#include <map>
#include <set>

#include "adapters/openapi/request_builder.h"
#include "adapters/openapi/spec_model.h"
#include "adapters/source_egress.h"
#include "common/log.h"
#include "common/text.h"
#include "gateway/catalog/naming.h"
#include "gateway/egress/egress.h"

namespace toolgate {
namespace {

using openapi::OpenApiSpec;
using openapi::Operation;

constexpr size_t kDefaultDescriptionMax = 1024;
constexpr size_t kErrorExcerpt = 2048;
constexpr size_t kMaxSpecBytes = 64u << 20;

bool listed(const json& list, const std::string& value, bool glob) {
  if (!list.is_array()) return false;
  for (auto& x : list) {
    if (!x.is_string()) continue;
    if (glob ? glob_match(x.get<std::string>(), value) : x == value) return true;
  }
  return false;
}

// Does a filter ({tags, operations, methods, paths}) select the operation?
// Every given key must match.
bool selects(const json& f, const Operation& op) {
  if (f.contains("operations") && !listed(f["operations"], op.operation_id, true)) return false;
  if (f.contains("methods") && !listed(f["methods"], op.method, false)) return false;
  if (f.contains("paths") && !listed(f["paths"], op.path, true)) return false;
  if (f.contains("tags")) {
    bool any = false;
    for (auto& t : op.tags) any = any || listed(f["tags"], t, false);
    if (!any) return false;
  }
  return true;
}

// The $defs a schema needs, transitively.
void collect_defs(const json& s, const json& defs, std::set<std::string>* seen) {
  if (s.is_object()) {
    if (auto r = s.find("$ref"); r != s.end() && r->is_string()) {
      const std::string& ref = r->get_ref<const std::string&>();
      if (ref.rfind("#/$defs/", 0) == 0) {
        std::string name = ref.substr(
            8, ref.find('/', 8) == std::string::npos ? std::string::npos : ref.find('/', 8) - 8);
        if (defs.contains(name) && seen->insert(name).second) collect_defs(defs[name], defs, seen);
      }
    }
    for (auto& [k, v] : s.items()) collect_defs(v, defs, seen);
  } else if (s.is_array()) {
    for (auto& v : s) collect_defs(v, defs, seen);
  }
}

json with_defs(json schema, const json& defs) {
  std::set<std::string> used;
  collect_defs(schema, defs, &used);
  if (!used.empty()) {
    json d = json::object();
    for (auto& n : used) d[n] = defs[n];
    schema["$defs"] = std::move(d);
  }
  return schema;
}

// The 2xx JSON schema as an MCP outputSchema: only when it is an object.
json output_schema(const json& s, const json& defs) {
  if (!s.is_object()) return nullptr;
  const json* root = &s;
  if (auto r = s.find("$ref"); r != s.end() && r->is_string()) {
    std::string ref = *r;
    if (ref.rfind("#/$defs/", 0) != 0 || !defs.contains(ref.substr(8))) return nullptr;
    root = &defs[ref.substr(8)];
    if (root->value("type", json()) != "object") return nullptr;
    return with_defs({{"type", "object"}, {"allOf", {{{"$ref", ref}}}}}, defs);
  }
  if (root->value("type", json()) != "object") return nullptr;
  return with_defs(s, defs);
}

// Without an operationId: "put_files_path" for PUT /files/{path}.
std::string fallback_name(const Operation& op) {
  std::string out;
  for (char l : ascii_lower(op.method + "_" + op.path)) {
    bool word = std::isalnum(static_cast<unsigned char>(l));
    if (word)
      out += l;
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

json content_text(const std::string& t) { return {{"type", "text"}, {"text", t}}; }

json error_result(const std::string& t) {
  return {{"content", {content_text(t)}}, {"isError", true}};
}

std::string header_of(const json& headers, const char* name) {
  if (!headers.is_object()) return "";
  auto it = headers.find(name);
  return it != headers.end() && it->is_string() ? it->get<std::string>() : "";
}

// A spec given as a URL, fetched by a worker under the source's egress
// allow-list (default: the URL's own host and port) like any call.
std::string fetch_spec(const LoadContext& ctx, const std::string& url) {
  if (!ctx.fetch) throw ConfigError(url + ": cannot fetch a spec here");
  WorkOrder o;
  o.argv = {"-"};
  o.limits = ctx.config.workers.defaults;
  o.limits.max_output_bytes = kMaxSpecBytes + (kMaxSpecBytes / 2);
  o.limits.timeout_ms = std::max<uint64_t>(o.limits.timeout_ms, 60000);
  o.egress_allow = source_egress(ctx.config, ctx.source.raw, ctx.source.pointer, url,
                                 ctx.source.pointer + "/spec");
  o.sandbox.egress = true;
  o.http = {{"method", "GET"},
            {"url", url},
            {"headers", {"Accept: application/json, application/yaml, text/yaml, */*"}},
            {"max_redirects", 5},
            {"max_body_bytes", kMaxSpecBytes}};
  WorkResult r = (*ctx.fetch)(o);
  const json& a = r.stdout_json;
  if (r.outcome != Outcome::ok || !a.is_object() ||
      (a.contains("status") && !a["status"].is_number_integer()))
    throw ConfigError(url + ": fetching the spec failed (" + std::string(to_string(r.outcome)) +
                      (r.detail.empty() ? "" : ": " + r.detail) + ")");
  if (a.contains("error"))
    throw ConfigError(url + ": fetching the spec failed: " +
                      (a["error"].is_string() ? a["error"].get<std::string>() : "unknown error"));
  int status = a.value("status", 0);
  if (status != 200)
    throw ConfigError(url + ": fetching the spec got HTTP " + std::to_string(status));
  if (a.contains("truncated") && a["truncated"] == true)
    throw ConfigError(url + ": the spec is larger than " + std::to_string(kMaxSpecBytes) +
                      " bytes");
  // JSON arrives parsed by the worker; it is re-serialized for the loader.
  if (auto j = a.find("body_json"); j != a.end()) return dump_safe(*j);
  if (a.contains("body") && a["body"].is_string()) return a["body"].get<std::string>();
  throw ConfigError(url + ": the spec arrived as binary data");
}

// expose: discover: three tools in place of one per operation.
std::vector<Tool> meta_tools(const Limits& limits) {
  auto make = [&](const char* name, const char* desc, json schema, bool read_only) {
    Tool t;
    t.local_name = name;
    t.meta = name;
    t.description = desc;
    t.input_schema = std::move(schema);
    t.input_validator = *SchemaValidator::compile(t.input_schema);
    // call_tool can run anything, DELETE included, so clients are told so;
    // the policy decides the forwarded call with the target's own hints.
    t.annotations = {{"readOnlyHint", read_only},
                     {"destructiveHint", !read_only},
                     {"idempotentHint", read_only},
                     {"openWorldHint", !read_only}};
    t.limits = limits;
    t.route = {{"meta", name}};
    return t;
  };
  json str = {{"type", "string"}, {"minLength", 1}, {"maxLength", 500}};
  return {
      make("search_tools",
           "Search this API's operations by words (names, tags, paths, descriptions). Returns "
           "tool names for describe_tool and call_tool.",
           {{"type", "object"},
            {"properties",
             {{"query", str}, {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 50}}}}},
            {"required", {"query"}},
            {"additionalProperties", false}},
           true),
      make("describe_tool", "The full input and output schema of one tool found by search_tools.",
           {{"type", "object"},
            {"properties", {{"name", str}}},
            {"required", {"name"}},
            {"additionalProperties", false}},
           true),
      make("call_tool",
           "Call one tool found by search_tools with its arguments (see describe_tool).",
           {{"type", "object"},
            {"properties", {{"name", str}, {"arguments", {{"type", "object"}}}}},
            {"required", {"name"}},
            {"additionalProperties", false}},
           false),
  };
}

}  // namespace

std::vector<Tool> OpenApiAdapter::load(const LoadContext& ctx) const {
  const auto& doc = ctx.config.doc;
  const json& src = ctx.source.raw;
  const std::string& sp = ctx.source.pointer;
  std::string spec_ref = src.at("spec");
  bool remote = spec_ref.rfind("http://", 0) == 0 || spec_ref.rfind("https://", 0) == 0;
  bool discover = src.value("expose", "tools") == "discover";
  std::string path = resolve_relative(ctx.config.path, spec_ref);
  bool strict = src.value("strict", false);
  struct stat st;
  bool large = ::stat(path.c_str(), &st) == 0 && st.st_size > (1 << 20);
  auto started = std::chrono::steady_clock::now();
  if (large) {
    log::info("loading a large OpenAPI spec",
              {{"source", ctx.source.name}, {"spec", path}, {"bytes", uint64_t(st.st_size)}});
  }
  OpenApiSpec spec;
  auto warn = [&](const std::string& where, const std::string& m) {
    log::warn("openapi: " + where + ": " + m, {{"source", ctx.source.name}});
  };
  try {
    if (remote) {
      std::string text = fetch_spec(ctx, spec_ref);
      spec = openapi::load_openapi_text(text, spec_ref, false, strict, warn);
    } else {
      spec = openapi::load_openapi(path, strict, warn);
    }
  } catch (const ConfigError& e) {
    doc.fail(sp + "/spec", e.what());
  } catch (const json::exception& e) {
    doc.fail(sp + "/spec", std::string("malformed answer while loading the spec: ") + e.what());
  }

  std::string base_url = src.value("base_url", spec.server_url);
  if (base_url.rfind("http://", 0) != 0 && base_url.rfind("https://", 0) != 0) {
    doc.fail(sp + (src.contains("base_url") ? "/base_url" : "/spec"),
             "no absolute server URL (the spec's first server is '" + spec.server_url +
                 "'); set base_url");
  }
  json auth = src.value("auth", json::object());
  std::string oauth_key;
  std::vector<std::string> credential_hosts;
  if (auth.value("type", "").rfind("oauth2_", 0) == 0) {
    // The token endpoint is part of the credential: reachable like the API.
    std::string token_hp = url_host_port(auth.value("token_url", ""));
    if (token_hp.empty())
      doc.fail(sp + "/auth/token_url", "expected an http(s) URL without credentials");
    credential_hosts.push_back(token_hp);
    if (auth.contains("token_file"))
      auth["token_file"] = resolve_relative(ctx.config.path, auth["token_file"]);
    oauth_key =
        ctx.source.name + "|" + auth.value("token_url", "") + "|" + auth.value("client_id", "");
  }
  std::vector<std::string> egress =
      source_egress(ctx.config, src, sp, base_url,
                    sp + (src.contains("base_url") ? "/base_url" : "/spec"), credential_hosts);
  size_t desc_max = src.value("description_max", kDefaultDescriptionMax);
  Limits limits = ctx.config.workers.defaults;
  if (auto v = src.find("timeout_ms"); v != src.end()) limits.timeout_ms = *v;
  if (auto v = src.find("max_output_bytes"); v != src.end()) limits.max_output_bytes = *v;
  json include = src.value("include", json::object()), exclude = src.value("exclude", json());

  std::vector<Tool> out;
  std::set<std::string> names;
  if (discover) names = {"search_tools", "describe_tool", "call_tool"};
  for (const Operation& op : spec.operations) {
    if (!selects(include, op) || (exclude.is_object() && selects(exclude, op))) continue;
    Tool t;
    t.pointer = sp;
    std::string base = !op.operation_id.empty() ? op.operation_id : fallback_name(op);
    std::string name = sanitize_name(base);
    for (int n = 2; names.count(name); ++n) name = sanitize_name(base) + "_" + std::to_string(n);
    names.insert(name);
    t.local_name = name;
    t.title = op.summary;
    std::string desc = op.summary;
    if (!op.description.empty() && op.description != op.summary)
      desc += (desc.empty() ? "" : "\n\n") + op.description;
    if (desc.empty()) desc = op.method + " " + op.path;
    if (desc.size() > desc_max) desc = desc.substr(0, desc_max) + "...";
    t.description = desc;

    json props = json::object(), required = json::array(), params = json::array();
    for (auto& p : op.params) {
      props[p.arg] = p.schema;
      if (p.required) required.push_back(p.arg);
      params.push_back({{"name", p.name},
                        {"in", p.in},
                        {"arg", p.arg},
                        {"style", p.style},
                        {"explode", p.explode},
                        {"allow_reserved", p.allow_reserved}});
    }
    if (!op.body_schema.is_null()) {
      json b = op.body_schema;
      if (b.is_object() && !b.contains("description"))
        b["description"] = "The request body (" + op.body_media + ")";
      props["body"] = b;
      if (op.body_required) required.push_back("body");
    }
    json input = {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
    if (!required.empty()) input["required"] = required;
    t.input_schema = with_defs(input, spec.defs);
    auto iv = SchemaValidator::compile(t.input_schema);
    if (!iv) {
      log::warn("openapi: " + op.method + " " + op.path +
                    ": input schema rejected: " + iv.error().message + "; the operation is skipped",
                {{"source", ctx.source.name}});
      continue;
    }
    t.input_validator = *iv;
    json os = output_schema(op.output_schema, spec.defs_out);
    if (!os.is_null() && src.value("output_schema", true)) {
      if (auto ov = SchemaValidator::compile(os)) {
        t.output_schema = os;
        t.output_validator = *ov;
      }
    }
    bool read_only = op.method == "GET" || op.method == "HEAD" || op.method == "OPTIONS";
    t.annotations = {{"readOnlyHint", read_only},
                     {"destructiveHint", op.method == "DELETE"},
                     {"idempotentHint", read_only || op.method == "PUT" || op.method == "DELETE"},
                     {"openWorldHint", true}};
    if (!op.summary.empty()) t.annotations["title"] = op.summary;
    t.facts = {{"http", {{"method", op.method}, {"path", op.path}}}};
    t.tags = op.tags;
    t.listed = !discover;
    t.limits = limits;
    t.route = {{"method", op.method},
               {"path", op.path},
               {"params", params},
               {"body_media", op.body_media},
               // `security: []` on an operation: it takes no credentials.
               {"base_url", base_url},
               {"auth", op.security.is_array() && op.security.empty() ? json::object() : auth},
               {"oauth_key", oauth_key},
               {"headers", src.value("headers", json::object())},
               {"egress_allow", egress}};
    out.push_back(std::move(t));
  }
  if (discover) {
    for (Tool& m : meta_tools(limits)) {
      m.pointer = sp;
      out.push_back(std::move(m));
    }
  }
  if (large) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
    log::info("OpenAPI spec loaded", {{"source", ctx.source.name},
                                      {"operations", spec.operations.size()},
                                      {"tools", out.size()},
                                      {"ms", ms}});
  }
  return out;
}

Result<WorkOrder> OpenApiAdapter::prepare(const Tool& tool, const json& args) const {
  if (!tool.meta.empty())
    return Error{rpc::kInternalError, "meta-tools are answered by the gateway"};
  auto req = openapi::build_request(tool.route, args);
  if (!req) return Error{rpc::kInvalidParams, "Cannot build the request: " + req.error().message};
  WorkOrder o;
  o.argv = {"-"};  // no program: the worker makes the request itself
  o.limits = tool.limits;
  o.egress_allow = tool.route.at("egress_allow").get<std::vector<std::string>>();
  o.sandbox.egress = true;
  // Room for the JSON framing (and base64) around the body in the answer.
  size_t cap = tool.limits.max_output_bytes / 4 * 3;
  cap = cap > 8192 ? cap - 4096 : cap / 2;
  o.http = {{"method", req->method}, {"url", req->url},    {"headers", req->headers},
            {"body", req->body},     {"max_redirects", 5}, {"max_body_bytes", cap}};
  if (!req->body_base64.empty()) o.http["body_base64"] = req->body_base64;
  const json& auth = tool.route.at("auth");
  if (auth.value("type", "").rfind("oauth2_", 0) == 0) {
    // obtain() made sure of a fresh token; only it goes to this worker.
    openapi::OAuthState st =
        tokens_->current(tool.route.value("oauth_key", ""), auth.value("refresh_token", ""),
                         auth.value("token_file", ""));
    o.http["oauth"] = {{"access_token", st.access_token}};
  }
  return o;
}

std::string OpenApiAdapter::obtain(const Tool& tool, bool renew, const Runner& run) const {
  const json& auth = tool.route.at("auth");
  std::string type = auth.value("type", "");
  if (type.rfind("oauth2_", 0) != 0) return "";
  std::string key = tool.route.value("oauth_key", "");
  std::string token_file = auth.value("token_file", "");
  // One token request per source at a time: concurrent calls wait here and
  // then find the token fresh, so a rotating refresh token is used once.
  auto refreshing = tokens_->lock(key);
  openapi::OAuthState st = tokens_->current(key, auth.value("refresh_token", ""), token_file);
  int64_t now = int64_t(::time(nullptr));
  bool fresh = !st.access_token.empty() && st.expires_at > now + 60 && !st.refused;
  if (fresh) return "";
  std::string scope;
  for (auto& s : auth.value("scopes", json::array()))
    if (s.is_string()) scope += (scope.empty() ? "" : " ") + s.get<std::string>();
  WorkOrder o;
  o.argv = {"-"};
  o.limits = tool.limits;
  o.egress_allow = tool.route.at("egress_allow").get<std::vector<std::string>>();
  o.sandbox.egress = true;
  o.http = {{"token_only", true},
            {"oauth",
             {{"grant", type == "oauth2_refresh_token" ? "refresh_token" : "client_credentials"},
              {"token_url", auth.value("token_url", "")},
              {"client_id", auth.value("client_id", "")},
              {"client_secret", auth.value("client_secret", "")},
              {"scope", scope},
              {"refresh_token", st.refresh_token}}}};
  WorkResult r = run(o);
  const json& a = r.stdout_json;
  if (r.outcome != Outcome::ok || !a.is_object()) {
    return "Could not get an OAuth token: the token request ended with " +
           std::string(to_string(r.outcome)) + ".";
  }
  if (auto t = a.find("oauth"); t != a.end() && t->is_object()) {
    // Kept, and a rotated refresh token saved, before any API call is made.
    tokens_->update(key, *t, token_file);
    return "";
  }
  std::string why = a.contains("error") && a["error"].is_string() ? a["error"].get<std::string>()
                                                                  : "no token in the answer";
  return "Could not get an OAuth token: " + why;
}

bool OpenApiAdapter::refused(const Tool& tool, const WorkResult& r) const {
  if (tool.route.at("auth").value("type", "").rfind("oauth2_", 0) != 0) return false;
  const json& a = r.stdout_json;
  if (!a.is_object() || !a.contains("status") || a["status"] != 401) return false;
  // The token it carried is dead: the next obtain() fetches a new one.
  tokens_->mark_refused(tool.route.value("oauth_key", ""));
  return true;
}

json OpenApiAdapter::render(const Tool& tool, const WorkResult& r) const {
  const json& a = r.stdout_json;
  std::string what = tool.route.value("method", "") + " " + tool.route.value("path", "");
  if (!r.stdout_is_json || !a.is_object()) return error_result("The request failed: no answer.");
  if (auto e = a.find("error"); e != a.end() && !a.contains("status")) {
    return error_result("The request " + what + " failed: " +
                        (e->is_string() ? e->get<std::string>() : std::string("unknown error")));
  }
  // The worker's answer is checked field by field: never trusted for types.
  auto field = [&](const char* k) { return a.contains(k) ? a[k] : json(); };
  int status = field("status").is_number_integer() ? field("status").get<int>() : 0;
  json headers = field("headers").is_object() ? field("headers") : json::object();
  std::string ctype = header_of(headers, "content-type");
  std::string body = field("body").is_string() ? field("body").get<std::string>() : "";
  bool truncated = field("truncated").is_boolean() && field("truncated").get<bool>();
  if (status >= 400 || status < 200) {
    std::string t = "HTTP " + std::to_string(status) + " from " + what;
    std::string retry = header_of(headers, "retry-after");
    if (!retry.empty() && (status == 429 || status == 503)) t += " (Retry-After: " + retry + ")";
    if (!body.empty()) {
      t += ": " + body.substr(0, kErrorExcerpt);
      if (body.size() > kErrorExcerpt) t += "... (" + std::to_string(body.size()) + " bytes)";
    }
    return error_result(t);
  }
  std::string note = truncated ? "\n\n(The response was truncated at the size limit.)" : "";
  if (auto j = a.find("body_json"); j != a.end() && !truncated) {
    // Parsed in the worker, with bounded depth: the gateway never parses
    // upstream bytes itself.
    json structured = j->is_object() ? *j : json{{"result", *j}};
    return {{"content", {content_text(dump_safe(*j))}}, {"structuredContent", structured}};
  }
  std::string media = ctype.substr(0, ctype.find(';'));
  if (field("body_base64").is_string()) {
    std::string b64 = field("body_base64").get<std::string>();
    json block;
    if (media.rfind("image/", 0) == 0) {
      block = {{"type", "image"}, {"data", b64}, {"mimeType", media}};
    } else {
      block = {{"type", "resource"},
               {"resource",
                // Never the fetched URL itself: its query may hold an API key.
                {{"uri", "openapi://" + tool.name + "/response"},
                 {"mimeType", media.empty() ? "application/octet-stream" : media},
                 {"blob", b64}}}};
    }
    json content = json::array({block});
    if (truncated) content.push_back(content_text(note.substr(2)));
    return {{"content", content}};
  }
  if (body.empty()) body = "HTTP " + std::to_string(status) + " (no content)";
  return {{"content", {content_text(body + note)}}};
}

}  // namespace toolgate
