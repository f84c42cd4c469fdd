// resources/*, prompts/* and completion/complete: the features of upstream
// MCP servers (type: mcp sources) other than tools, served as the gateway's
// own, each forwarded request recorded in the audit log first. Lists are gathered from every
// upstream (all of their pages) and paged again here. Prompt names get the source prefix like tool
// names; resource URIs pass unchanged, and a read goes to the upstream that lists the URI (or, for
// template URIs, the first that can read it).
#include "gateway/call/federation.h"

#include <set>

#include "gateway/audit/audit.h"
#include "gateway/catalog/catalog.h"
#include "gateway/catalog/naming.h"
#include "gateway/catalog/upstream.h"
#include "gateway/config/config.h"
#include "gateway/protocol/cursor.h"
#include "gateway/protocol/jsonrpc.h"

namespace toolgate {
namespace {

using Upstreams = std::vector<std::shared_ptr<McpUpstream>>;

bool offers(McpUpstream& up, const char* capability) {
  return up.capabilities().contains(capability);
}

json error_reply(const json& id, const Error& e) {
  json data = e.data.empty() ? json() : json::parse(e.data, nullptr, false);
  if (data.is_discarded()) data = nullptr;
  return make_error(id, e.code ? e.code : rpc::kInternalError, e.message, std::move(data));
}

// The prompt's name as clients see it, by its source's prefix mode.
std::string prompt_name(const Config& cfg, const std::string& source, const std::string& name,
                        const std::map<std::string, int>& count) {
  PrefixMode mode = PrefixMode::always;
  for (auto& s : cfg.sources)
    if (s.name == source) mode = s.prefix;
  auto c = count.find(name);
  bool prefix = mode == PrefixMode::always ||
                (mode == PrefixMode::on_collision && c != count.end() && c->second > 1);
  return prefix ? sanitize_name(source) + "__" + name : name;
}

struct Prompt {
  json def;  // as the upstream listed it, renamed
  std::string original;
  McpUpstream* upstream;
};

Result<std::vector<Prompt>> all_prompts(const Snapshot& snap, ForwardContext& ctx) {
  std::vector<std::pair<McpUpstream*, json>> lists;
  std::map<std::string, int> count;
  for (auto& up : snap.catalog->upstreams()) {
    if (!offers(*up, "prompts")) continue;
    auto l = up->list_all("prompts/list", "prompts", ctx);
    if (!l) return l.error();
    for (auto& p : *l)
      if (p.is_object() && p.contains("name") && p["name"].is_string()) ++count[p["name"]];
    lists.emplace_back(up.get(), std::move(*l));
  }
  std::vector<Prompt> out;
  std::set<std::string> seen;
  for (auto& [up, list] : lists) {
    for (auto& p : list) {
      if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) continue;
      std::string original = p["name"];
      std::string shown = prompt_name(*snap.config, up->source(), original, count);
      if (!seen.insert(shown).second) continue;  // two upstreams, one name, no prefix
      json def = p;
      def["name"] = shown;
      out.push_back({std::move(def), original, up});
    }
  }
  return out;
}

// The upstream a resource URI belongs to: the one that lists it, else the
// first one offering resources (template URIs are not listed).
Result<McpUpstream*> resource_owner(const Snapshot& snap, const std::string& uri,
                                    ForwardContext& ctx) {
  std::vector<McpUpstream*> candidates;
  for (auto& up : snap.catalog->upstreams())
    if (offers(*up, "resources")) candidates.push_back(up.get());
  if (candidates.empty()) return Error{rpc::kMethodNotFound, "no upstream offers resources"};
  if (candidates.size() == 1) return candidates[0];
  for (auto* up : candidates) {
    auto l = up->list_all("resources/list", "resources", ctx);
    if (!l) continue;
    for (auto& r : *l)
      if (r.is_object() && r.value("uri", json()) == uri) return up;
  }
  return candidates[0];
}

// An audit record of a request forwarded upstream, written before it is
// sent: if it cannot be written, nothing is forwarded (as for tool calls).
// These requests are not decided by the policy, which rules tool calls.
bool audited(const RequestContext& rq, const std::string& source, const json& target) {
  if (!rq.snapshot.audit) return true;
  json rec = {{"event", "forward"},
              {"method", rq.method},
              {"source", source},
              {"session", rq.session_id()},
              {"caller", rq.caller.id}};
  if (!target.is_null()) rec["target"] = target;
  return rq.snapshot.audit->write(std::move(rec));
}

json audit_failed(const json& id) {
  return make_error(id, rpc::kInternalError,
                    "the audit log cannot be written, so the request was not forwarded");
}

// One page of `items` for a client's cursor.
json page(const json& id, const json& params, const json& items, const char* key, size_t size) {
  size_t offset = 0;
  if (auto c = params.find("cursor"); c != params.end() && !c->is_null()) {
    if (!decode_cursor(*c, &offset) || offset > items.size())
      return make_error(id, rpc::kInvalidParams, "invalid cursor");
  }
  size_t end = std::min(items.size(), offset + size);
  json out = json::array();
  for (size_t i = offset; i < end; ++i) out.push_back(items[i]);
  json result = {{key, std::move(out)}};
  if (end < items.size()) result["nextCursor"] = encode_cursor(end);
  return make_result(id, std::move(result));
}

// Client input: every field is type-checked before it is read.
json field(const json& o, const char* k) { return o.is_object() && o.contains(k) ? o[k] : json(); }

// An upstream's answer, or its error; nothing when the request was cancelled.
std::optional<json> relay(const RequestContext& rq, Result<json> r) {
  if (r) return make_result(rq.id, std::move(*r));
  if (rq.cancelled()) return std::nullopt;
  return error_reply(rq.id, r.error());
}

// resources/list and resources/templates/list, gathered from every upstream.
json list_resources(const RequestContext& rq, ForwardContext& ctx) {
  bool templates = rq.method == "resources/templates/list";
  const char* key = templates ? "resourceTemplates" : "resources";
  if (!audited(rq, "*", nullptr)) return audit_failed(rq.id);
  json all = json::array();
  std::set<std::string> uris;
  for (auto& up : rq.snapshot.catalog->upstreams()) {
    if (!offers(*up, "resources")) continue;
    auto l = up->list_all(rq.method, key, ctx);
    if (!l) return error_reply(rq.id, l.error());
    for (auto& r : *l) {
      if (!r.is_object()) continue;
      json u = r.value(templates ? "uriTemplate" : "uri", json());
      // Two upstreams with one URI: the first source keeps it.
      if (!u.is_string() || !uris.insert(u.get<std::string>()).second) continue;
      all.push_back(r);
    }
  }
  return page(rq.id, rq.params, all, key, rq.snapshot.config->server.page_size);
}

json list_prompts(const RequestContext& rq, ForwardContext& ctx) {
  if (!audited(rq, "*", nullptr)) return audit_failed(rq.id);
  auto prompts = all_prompts(rq.snapshot, ctx);
  if (!prompts) return error_reply(rq.id, prompts.error());
  json all = json::array();
  for (auto& p : *prompts) all.push_back(p.def);
  return page(rq.id, rq.params, all, "prompts", rq.snapshot.config->server.page_size);
}

// prompts/get, and completions of a prompt's arguments: routed by the
// prompt's name, as the client sees it, to the upstream that has it.
std::optional<json> by_prompt(const RequestContext& rq, const json& ref, ForwardContext& ctx) {
  bool get = rq.method == "prompts/get";
  json name = get ? field(rq.params, "name") : field(ref, "name");
  if (!name.is_string())
    return make_error(rq.id, rpc::kInvalidParams, "the prompt name must be a string");
  auto prompts = all_prompts(rq.snapshot, ctx);
  if (!prompts) return error_reply(rq.id, prompts.error());
  for (auto& p : *prompts) {
    if (p.def["name"] != name) continue;
    json fwd = rq.params;
    if (get)
      fwd["name"] = p.original;
    else
      fwd["ref"]["name"] = p.original;
    if (!audited(rq, p.upstream->source(), name)) return audit_failed(rq.id);
    return relay(rq, p.upstream->forward(rq.method, fwd, ctx));
  }
  return make_error(rq.id, rpc::kInvalidParams, "unknown prompt: " + name.get<std::string>());
}

// resources/read, subscribe, unsubscribe, and completions of a resource
// template's arguments: routed by URI.
std::optional<json> by_uri(const RequestContext& rq, const json& ref, ForwardContext& ctx) {
  json uri = rq.method == "completion/complete" ? field(ref, "uri") : field(rq.params, "uri");
  if (!uri.is_string())
    return make_error(rq.id, rpc::kInvalidParams, "params.uri must be a string");
  auto owner = resource_owner(rq.snapshot, uri, ctx);
  if (!owner && rq.method == "resources/read") {
    // No upstream has resources, so none has this one (SEP-2164's answer).
    return make_error(rq.id, rpc::kInvalidParams, "Resource not found", {{"uri", uri}});
  }
  if (!owner) return error_reply(rq.id, owner.error());
  if (!audited(rq, (*owner)->source(), uri)) return audit_failed(rq.id);
  return relay(rq, (*owner)->forward(rq.method, rq.params, ctx));
}

}  // namespace

bool is_federated(const std::string& m) {
  return m == "resources/list" || m == "resources/templates/list" || m == "resources/read" ||
         m == "resources/subscribe" || m == "resources/unsubscribe" || m == "prompts/list" ||
         m == "prompts/get" || m == "completion/complete";
}

std::optional<json> answer_federated(const RequestContext& rq) {
  const json ref = field(rq.params, "ref");
  if (rq.method == "completion/complete" && (!ref.is_object() || !field(ref, "type").is_string()))
    return make_error(rq.id, rpc::kInvalidParams, "params.ref must be an object with a type");
  ForwardContext ctx = rq.forward();
  if (rq.method == "resources/list" || rq.method == "resources/templates/list")
    return list_resources(rq, ctx);
  if (rq.method == "prompts/list") return list_prompts(rq, ctx);
  if (rq.method == "prompts/get" ||
      (rq.method == "completion/complete" && ref["type"] == "ref/prompt"))
    return by_prompt(rq, ref, ctx);
  return by_uri(rq, ref, ctx);
}

}  // namespace toolgate
