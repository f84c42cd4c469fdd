#include "adapters/graphql/graphql_adapter.h"

#include <memory>
#include <set>

#include "adapters/graphql/document.h"
#include "adapters/graphql/http_order.h"
#include "adapters/graphql/lexer.h"
#include "adapters/graphql/schema_source.h"
#include "adapters/graphql/tool_schema.h"
#include "adapters/source_egress.h"
#include "common/log.h"
#include "gateway/catalog/naming.h"
#include "gateway/egress/egress.h"

namespace toolgate {
namespace {

using graphql::Schema;

constexpr size_t kDefaultDescriptionMax = 1024;
constexpr int kDefaultDepth = 2;
constexpr size_t kMaxErrorsShown = 20;
constexpr size_t kMaxErrorText = 1000;
constexpr size_t kErrorExcerpt = 2048;

json content_text(const std::string& t) { return {{"type", "text"}, {"text", t}}; }
json error_result(const std::string& t) {
  return {{"content", {content_text(t)}}, {"isError", true}};
}

// include/exclude: {fields: [globs], operations: [query, mutation]}; every
// given key must match.
bool selects(const json& f, const std::string& operation, const std::string& field) {
  if (!f.is_object()) return false;
  if (f.contains("fields") && !glob_any(f["fields"], field)) return false;
  if (f.contains("operations") && !glob_any(f["operations"], operation)) return false;
  return true;
}

std::string where(const graphql::SyntaxError& e) {
  return std::to_string(e.line) + ":" + std::to_string(e.col) + ": " + e.what();
}

std::string bullet_list(const std::vector<std::string>& items) {
  std::string out;
  for (auto& e : items) out += "\n- " + e;
  return out;
}

// "message (at repository.owner, line 1:12)" for each GraphQL error.
std::string describe_errors(const json& errors) {
  std::string out;
  size_t shown = 0;
  for (auto& e : errors) {
    if (shown++ == kMaxErrorsShown) {
      out += "\n- ... " + std::to_string(errors.size() - kMaxErrorsShown) + " more";
      break;
    }
    std::string m = e.is_object() && e.contains("message") && e["message"].is_string()
                        ? e["message"].get<std::string>()
                        : dump_safe(e);
    out += "\n- " + truncate_utf8(m, kMaxErrorText);
    if (!e.is_object()) continue;
    if (auto p = e.find("path"); p != e.end() && p->is_array() && !p->empty()) {
      std::string path;
      for (auto& x : *p)
        path += (path.empty() ? "" : ".") + (x.is_string()           ? x.get<std::string>()
                                             : x.is_number_integer() ? x.dump()
                                                                     : "?");
      out += " (at " + truncate_utf8(path, 300) + ")";
    }
  }
  return out;
}

// The name of the argument carrying a custom selection: `selection`,
// unless the field has an argument of that name.
std::string selection_arg_name(const graphql::FieldDef& f) {
  for (const char* n : {"selection", "_selection", "__selection"}) {
    bool taken = false;
    for (auto& a : f.args) taken = taken || a.name == n;
    if (!taken) return n;
  }
  return "";
}

Tool raw_query_tool(const json& route, const Limits& limits) {
  Tool t;
  t.local_name = "graphql_query";
  t.description =
      "Run a GraphQL document you write (a query or a mutation) against this API. It is checked "
      "against the schema first. Prefer the API's own tools; use this for what they cannot do.";
  json str = {{"type", "string"}, {"minLength", 1}};
  t.input_schema = {
      {"type", "object"},
      {"properties",
       {{"query",
         {{"type", "string"},
          {"minLength", 1},
          {"maxLength", graphql::kMaxDocumentBytes},
          {"description", "The GraphQL document"}}},
        {"variables", {{"type", "object"}, {"description", "Values of the document's variables"}}},
        {"operationName", str}}},
      {"required", {"query"}},
      {"additionalProperties", false}};
  t.input_validator = *SchemaValidator::compile(t.input_schema);
  // It can run mutations: clients are told the worst; the policy sees the
  // document's real operation through call_facts().
  t.annotations = {{"readOnlyHint", false},
                   {"destructiveHint", true},
                   {"idempotentHint", false},
                   {"openWorldHint", true}};
  t.facts = {{"per_call", true}, {"graphql", json::object()}};
  t.limits = limits;
  t.route = route;
  t.route["raw"] = true;
  return t;
}

}  // namespace

std::vector<Tool> GraphQlAdapter::load(const LoadContext& ctx) const {
  const auto& doc = ctx.config.doc;
  const json& src = ctx.source.raw;
  const std::string& sp = ctx.source.pointer;
  std::string endpoint = src.at("endpoint");
  json auth = src.value("auth", json::object());
  if (auth.value("type", "").rfind("oauth2_", 0) == 0)
    doc.fail(sp + "/auth/type", "GraphQL sources take bearer, basic or api_key credentials");
  std::vector<std::string> egress = source_egress(ctx.config, src, sp, endpoint, sp + "/endpoint");
  Limits limits = ctx.config.workers.defaults;
  if (auto v = src.find("timeout_ms"); v != src.end()) limits.timeout_ms = *v;
  if (auto v = src.find("max_output_bytes"); v != src.end()) limits.max_output_bytes = *v;
  json route = {{"endpoint", endpoint},
                {"auth", auth},
                {"headers", src.value("headers", json::object())},
                {"egress_allow", egress}};

  auto schema = std::make_shared<Schema>();
  try {
    std::vector<std::string> warnings;
    if (auto file = src.find("schema"); file != src.end())
      *schema = graphql::read_schema_file(resolve_relative(ctx.config.path, *file), &warnings);
    else
      *schema = graphql::introspect(route, limits, ctx.fetch);
    for (auto& w : warnings) log::warn("graphql: " + w, {{"source", ctx.source.name}});
  } catch (const ConfigError& e) {
    doc.fail(sp + (src.contains("schema") ? "/schema" : "/endpoint"), e.what());
  }

  int depth = src.value("selection_depth", kDefaultDepth);
  size_t desc_max = src.value("description_max", kDefaultDescriptionMax);
  json include = src.value("include", json::object()), exclude = src.value("exclude", json());
  json non_destructive = src.value("non_destructive", json::array());
  std::shared_ptr<const void> data = schema;
  std::vector<Tool> out;
  std::set<std::string> names;
  if (src.value("raw_query", false)) {
    out.push_back(raw_query_tool(route, limits));
    out.back().adapter_data = data;
    names.insert(out.back().local_name);
  }
  for (const char* op : {"query", "mutation"}) {
    const std::string& root =
        op == std::string("query") ? schema->query_type : schema->mutation_type;
    const graphql::TypeDef* rt = root.empty() ? nullptr : schema->find(root);
    if (!rt) continue;
    bool mutation = op == std::string("mutation");
    for (const graphql::FieldDef& f : rt->fields) {
      if (!selects(include, op, f.name) || selects(exclude, op, f.name)) continue;
      Tool t;
      std::string name = sanitize_name(f.name);
      for (int n = 2; names.count(name); ++n)
        name = sanitize_name(f.name) + "_" + std::to_string(n);
      names.insert(name);
      t.local_name = name;
      std::string desc = f.description.empty() ? std::string(op) + " " + f.name : f.description;
      if (desc.size() > desc_max) desc = truncate_utf8(desc, desc_max) + "...";
      desc += "\n\nReturns " + f.type.str() + ".";
      if (f.deprecated) desc += " Deprecated: " + truncate_utf8(f.deprecation, 300);
      t.description = desc;
      json input = graphql::arguments_schema(*schema, f);
      std::string selection = graphql::default_selection(*schema, f.type, depth);
      std::string sel_arg = selection.empty() ? "" : selection_arg_name(f);
      if (!sel_arg.empty()) {
        input["properties"][sel_arg] = {
            {"type", "string"},
            {"maxLength", graphql::kMaxDocumentBytes},
            {"description",
             "A GraphQL selection set on " + f.type.name +
                 " to return instead of the default, which is: " + truncate_utf8(selection, 1500)}};
      }
      auto iv = SchemaValidator::compile(input);
      if (!iv) {
        log::warn("graphql: " + root + "." + f.name +
                      ": input schema rejected: " + iv.error().message + "; the field is skipped",
                  {{"source", ctx.source.name}});
        continue;
      }
      t.input_schema = std::move(input);
      t.input_validator = *iv;
      bool destructive = mutation && !glob_any(non_destructive, f.name);
      t.annotations = {{"readOnlyHint", !mutation},
                       {"destructiveHint", destructive},
                       {"idempotentHint", !mutation},
                       {"openWorldHint", true}};
      t.facts = {{"graphql", {{"operation", op}, {"field", f.name}}}};
      t.limits = limits;
      json args = json::array();
      for (auto& a : f.args) args.push_back({{"name", a.name}, {"type", a.type.str()}});
      t.route = route;
      t.route.update({{"operation", op},
                      {"field", f.name},
                      {"args", args},
                      {"return_type", f.type.name},
                      {"selection", selection},
                      {"selection_arg", sel_arg}});
      t.adapter_data = data;
      out.push_back(std::move(t));
    }
  }
  if (const graphql::TypeDef* sub = schema->find(schema->subscription_type)) {
    log::info("graphql: subscriptions are not offered as tools",
              {{"source", ctx.source.name}, {"skipped", sub->fields.size()}});
  }
  return out;
}

Result<WorkOrder> GraphQlAdapter::prepare(const Tool& tool, const json& args) const {
  auto schema = std::static_pointer_cast<const Schema>(tool.adapter_data);
  if (!schema) return Error{rpc::kInvalidParams, "the tool has no schema"};
  const json& r = tool.route;
  json body;
  if (r.value("raw", false)) {
    graphql::Document d;
    try {
      d = graphql::parse_document(args.at("query").get<std::string>());
    } catch (const graphql::SyntaxError& e) {
      return Error{rpc::kInvalidParams, "The query is not valid GraphQL: " + where(e)};
    }
    auto errors = graphql::check_document(*schema, d);
    if (!errors.empty())
      return Error{rpc::kInvalidParams, "The query does not fit the schema:" + bullet_list(errors)};
    for (auto& op : d.operations)
      if (op.type == "subscription")
        return Error{rpc::kInvalidParams, "Subscriptions cannot be run as a tool call."};
    body = {{"query", graphql::print_document(d)},
            {"variables", args.value("variables", json::object())}};
    if (auto n = args.find("operationName"); n != args.end()) {
      bool found = false;
      for (auto& op : d.operations)
        found = found || (n->is_string() && op.name == n->get<std::string>());
      if (!found)
        return Error{rpc::kInvalidParams, "The document has no operation named " + dump_safe(*n)};
      body["operationName"] = *n;
    } else if (d.operations.size() > 1) {
      return Error{rpc::kInvalidParams, "The document has several operations: give operationName."};
    }
  } else {
    std::string selection = r.at("selection");
    const std::string& sel_arg = r.at("selection_arg").get_ref<const std::string&>();
    if (auto s = args.find(sel_arg); !sel_arg.empty() && s != args.end() && s->is_string()) {
      std::vector<graphql::Selection> sels;
      try {
        sels = graphql::parse_selection_set(s->get<std::string>());
      } catch (const graphql::SyntaxError& e) {
        return Error{rpc::kInvalidParams, "The selection is not valid GraphQL: " + where(e)};
      }
      std::vector<std::string> errors;
      graphql::check_selection(*schema, r.at("return_type"), sels, {}, &errors);
      if (!errors.empty()) {
        return Error{rpc::kInvalidParams, "The selection does not fit type " +
                                              r.at("return_type").get<std::string>() + ":" +
                                              bullet_list(errors)};
      }
      selection = graphql::print_selection_set(sels);
    }
    std::string decl, pass;
    json variables = json::object();
    // Only the arguments given become variables: the server applies its
    // own defaults to the rest.
    for (auto& a : r.at("args")) {
      const std::string& n = a.at("name").get_ref<const std::string&>();
      auto v = args.find(n);
      if (v == args.end()) continue;
      decl += (decl.empty() ? "$" : ", $") + n + ": " + a.at("type").get<std::string>();
      pass += (pass.empty() ? "" : ", ") + n + ": $" + n;
      variables[n] = *v;
    }
    std::string field = r.at("field");
    std::string query = r.at("operation").get<std::string>() + " " + field +
                        (decl.empty() ? "" : "(" + decl + ")") + " { " + field +
                        (pass.empty() ? "" : "(" + pass + ")") +
                        (selection.empty() ? "" : " " + selection) + " }";
    body = {{"query", query}, {"variables", variables}, {"operationName", field}};
  }
  auto order = graphql::graphql_order(r, body, tool.limits);
  if (!order)
    return Error{rpc::kInvalidParams, "Cannot build the request: " + order.error().message};
  return order;
}

json GraphQlAdapter::call_facts(const Tool& tool, const json& args) const {
  if (!tool.route.value("raw", false)) return nullptr;
  // A document that cannot be read is judged as the worst it could be.
  std::string op = "mutation";
  auto q = args.find("query");
  if (q != args.end() && q->is_string()) {
    try {
      graphql::Document d = graphql::parse_document(q->get<std::string>());
      op = "query";
      for (auto& o : d.operations) {
        if (o.type == "mutation") op = "mutation";
        if (o.type == "subscription" && op == "query") op = "subscription";
      }
    } catch (const graphql::SyntaxError&) {
    }
  }
  return {{"graphql", {{"operation", op}}}};
}

json GraphQlAdapter::render(const Tool& tool, const WorkResult& r) const {
  const json& a = r.stdout_json;
  std::string endpoint = tool.route.value("endpoint", "");
  if (!r.stdout_is_json || !a.is_object()) return error_result("The request failed: no answer.");
  if (auto e = a.find("error"); e != a.end() && !a.contains("status")) {
    return error_result("The request to " + endpoint + " failed: " +
                        (e->is_string() ? e->get<std::string>() : std::string("unknown error")));
  }
  int status = a.contains("status") && a["status"].is_number_integer() ? a["status"].get<int>() : 0;
  if (a.contains("truncated") && a["truncated"] == true)
    return error_result("The response was larger than the size limit and was dropped.");
  auto body = a.find("body_json");
  // The answer was parsed in the worker with bounded depth; its shape is
  // still checked here, key by key.
  if (body != a.end() && body->is_object() &&
      (body->contains("errors") || body->contains("data"))) {
    json data = body->value("data", json());
    auto errors = body->find("errors");
    if (errors != body->end() && errors->is_array() && !errors->empty()) {
      std::string t = "GraphQL errors:" + describe_errors(*errors);
      if (data.is_object() && !data.empty()) t += "\n\nPartial data:\n" + dump_safe(data);
      json out = error_result(t);
      if (data.is_object()) out["structuredContent"] = {{"data", data}, {"errors", *errors}};
      return out;
    }
    if (status >= 200 && status < 300 && data.is_object())
      return {{"content", {content_text(dump_safe(data))}}, {"structuredContent", data}};
  }
  std::string text = "HTTP " + std::to_string(status) + " from " + endpoint;
  if (status >= 200 && status < 300) text += ": not a GraphQL response";
  if (auto h = a.find("headers"); (status == 429 || status == 503) && h != a.end() &&
                                  h->is_object() && h->contains("retry-after") &&
                                  (*h)["retry-after"].is_string())
    text += " (Retry-After: " + truncate_utf8((*h)["retry-after"].get<std::string>(), 100) + ")";
  std::string raw = body != a.end()                               ? dump_safe(*body)
                    : a.contains("body") && a["body"].is_string() ? a["body"].get<std::string>()
                                                                  : "";
  if (!raw.empty()) {
    text += ": " + truncate_utf8(raw, kErrorExcerpt);
    if (raw.size() > kErrorExcerpt) text += "... (" + std::to_string(raw.size()) + " bytes)";
  }
  return error_result(text);
}

}  // namespace toolgate
