// The upstream client's two dialects: an upstream that answers
// server/discover speaks MCP 2026-07-28 (no handshake, an envelope in every
// request, input_required instead of requests to the client); any other
// gets initialize, as the 2025 revisions have it. When client and upstream
// speak different eras, the gateway carries the call across.
#include <algorithm>

#include "adapters/mcp/upstream.h"
#include "common/log.h"
#include "gateway/protocol/envelope.h"
#include "gateway/protocol/jsonrpc.h"
#include "gateway/protocol/session.h"

namespace toolgate::mcp {
namespace {

// A server that doesn't know server/discover usually says so at once; one
// that says nothing gets initialize after this long.
constexpr uint64_t kDiscoverTimeoutMs = 5000;
// However many rounds of input an upstream asks for, a call ends here.
constexpr int kMaxInputRounds = 8;
constexpr uint64_t kInputTimeoutMs = 10 * 60 * 1000;

json toolgate_info() { return {{"name", "toolgate"}, {"version", TOOLGATE_VERSION}}; }

// What toolgate can relay to a client: asked of the upstream when no
// client's own capabilities are known (the handshake, catalog loads).
json relayable_capabilities() {
  return {{"sampling", json::object()},
          {"elicitation", json::object()},
          {"roots", {{"listChanged", true}}}};
}

bool lists_version(const json& discover, const char* version) {
  auto v = discover.find("supportedVersions");
  if (v == discover.end() || !v->is_array()) return false;
  return std::find(v->begin(), v->end(), json(version)) != v->end();
}

// The methods that may return input_required, and so take its answers.
bool takes_input(const std::string& method) {
  return method == "tools/call" || method == "prompts/get" || method == "resources/read";
}

// The capability a client must have declared to be asked `method`.
const char* capability_for(const std::string& method) {
  if (method == "elicitation/create") return "elicitation";
  if (method == "sampling/createMessage") return "sampling";
  if (method == "roots/list") return "roots";
  return nullptr;
}

}  // namespace

Result<json> Upstream::handshake(uint64_t timeout_ms) {
  json probe = {{"_meta",
                 {{kMetaProtocolVersion, kStatelessVersion},
                  {kMetaClientCapabilities, relayable_capabilities()},
                  {kMetaClientInfo, toolgate_info()}}}};
  auto d = request("server/discover", probe, nullptr, std::min(timeout_ms, kDiscoverTimeoutMs));
  if (d && d->is_object() && lists_version(*d, kStatelessVersion)) {
    json caps = d->value("capabilities", json::object());
    return json{{"capabilities", caps.is_object() ? caps : json::object()}, {"stateless", true}};
  }
  json init = {{"protocolVersion", kLatestProtocolVersion},
               {"capabilities", relayable_capabilities()},
               {"clientInfo", toolgate_info()}};
  auto r = request("initialize", init, nullptr, timeout_ms);
  if (!r) return r.error();
  if (!r->is_object()) return Error{rpc::kInternalError, "the initialize answer is not an object"};
  return json{{"capabilities", r->value("capabilities", json::object())}, {"stateless", false}};
}

std::vector<json> Upstream::relisten_locked() {
  std::vector<json> out;
  json uris = json::array();
  for (auto& [uri, subs] : subscribers_) uris.push_back(uri);
  json params = {{"notifications",
                  {{"toolsListChanged", true},
                   {"promptsListChanged", true},
                   {"resourcesListChanged", true},
                   {"resourceSubscriptions", std::move(uris)}}},
                 {"_meta",
                  {{kMetaProtocolVersion, kStatelessVersion},
                   {kMetaClientCapabilities, json::object()},
                   {kMetaClientInfo, toolgate_info()}}}};
  // Our awaited requests have integer ids: a string one is never taken for them.
  if (listens_ > 0) {
    out.push_back(make_notification(
        "notifications/cancelled",
        {{"requestId", "toolgate-listen-" + std::to_string(listens_)}, {"reason", "replaced"}}));
  }
  ++listens_;
  out.push_back(make_request("toolgate-listen-" + std::to_string(listens_), "subscriptions/listen",
                             std::move(params)));
  return out;
}

json Upstream::shape_params(const std::string& method, json params, const ForwardContext& ctx,
                            bool stateless) const {
  if (!params.is_object()) params = json::object();
  json& meta = params["_meta"];
  if (!meta.is_object()) meta = json::object();
  // A 2026 client's own envelope and answers are for the gateway; the
  // upstream gets the gateway's, and the answers only when they are its.
  for (const char* k :
       {kMetaProtocolVersion, kMetaClientCapabilities, kMetaClientInfo, kMetaLogLevel})
    meta.erase(k);
  params.erase("inputResponses");
  params.erase("requestState");
  if (!stateless) {
    if (meta.empty()) params.erase("_meta");
    return params;
  }
  meta[kMetaProtocolVersion] = kStatelessVersion;
  meta[kMetaClientCapabilities] =
      ctx.client_capabilities.is_object() ? ctx.client_capabilities : relayable_capabilities();
  meta[kMetaClientInfo] = toolgate_info();
  // A 2026 client's level passes on; for a 2025 session everything is asked
  // for, and each client's own level filters what it gets (as in 2025).
  if (!ctx.log_level.empty())
    meta[kMetaLogLevel] = ctx.log_level;
  else if (!ctx.stateless_client && ctx.session)
    meta[kMetaLogLevel] = "debug";
  if (takes_input(method))
    for (auto& [k, v] : ctx.retry.items()) params[k] = v;
  return params;
}

Result<json> Upstream::answer_input_required(const std::string& method, json params, json result,
                                             ForwardContext& ctx) {
  for (int round = 0; round < kMaxInputRounds; ++round) {
    if (!ctx.session)
      return Error{rpc::kInternalError, "the upstream asked for input, and no client can answer"};
    auto asks = result.find("inputRequests");
    if (asks == result.end() || !asks->is_object() || asks->empty())
      return Error{rpc::kInternalError, "the upstream's input_required result asks for nothing"};
    json answers = json::object();
    for (auto& [key, ask] : asks->items()) {
      std::string m = ask.is_object() ? ask.value("method", "") : "";
      const char* capability = capability_for(m);
      if (!capability) return Error{rpc::kInternalError, "the upstream asked for input by " + m};
      if (!ctx.session->client_supports(capability))
        return Error{rpc::kInternalError, std::string("the client does not support ") + capability};
      json p = ask.value("params", json::object());
      auto a = ctx.session->request_client(m, p.is_object() ? p : json::object(), kInputTimeoutMs,
                                           ctx.stream, ctx.cancel);
      if (!a) return a.error();
      answers[key] = std::move(*a);
    }
    params["inputResponses"] = std::move(answers);
    if (auto s = result.find("requestState"); s != result.end() && s->is_string())
      params["requestState"] = *s;
    else
      params.erase("requestState");
    auto r = request(method, params, &ctx, opt_.request_timeout_ms);
    if (!r) return r;
    if (!r->is_object() || r->value("resultType", "") != "input_required") return r;
    result = std::move(*r);
  }
  return Error{rpc::kInternalError, "the upstream asked for input " +
                                        std::to_string(kMaxInputRounds) + " times; call ended"};
}

}  // namespace toolgate::mcp
