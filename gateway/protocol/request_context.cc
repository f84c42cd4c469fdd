#include "gateway/protocol/request_context.h"

#include <algorithm>

#include "gateway/protocol/jsonrpc.h"

namespace toolgate {
namespace {

constexpr const char* kLevelNames[] = {"debug", "info",     "notice", "warning",
                                       "error", "critical", "alert",  "emergency"};
const std::string kNoSession;

}  // namespace

bool parse_mcp_level(const std::string& s, McpLevel* out) {
  for (int i = 0; i < 8; ++i) {
    if (s == kLevelNames[i]) {
      *out = static_cast<McpLevel>(i);
      return true;
    }
  }
  return false;
}

const char* to_string(McpLevel level) { return kLevelNames[int(level)]; }

RequestContext RequestContext::of(Message& msg, const Caller& caller, ProtocolEra era) {
  RequestContext rq;
  rq.id = msg.id;
  rq.method = msg.method;
  rq.params = std::move(msg.params);
  rq.progress_token = msg.progress_token;
  rq.caller = caller;
  rq.era = era;
  return rq;
}

const std::string& RequestContext::session_id() const {
  return peer ? peer->peer_id() : kNoSession;
}

bool RequestContext::client_supports(const std::string& capability) const {
  auto it = client_capabilities.find(capability);
  return it != client_capabilities.end() && it->is_object();
}

void RequestContext::notify(const std::string& method, json params) const {
  if (peer) peer->send(make_notification(method, std::move(params)), stream);
}

void RequestContext::progress(uint64_t progress, const std::string& message) const {
  if (progress_token.is_null()) return;
  notify("notifications/progress",
         {{"progressToken", progress_token}, {"progress", progress}, {"message", message}});
}

void RequestContext::log(McpLevel level, const json& data) const {
  if (!peer || !peer->wants_log(level)) return;
  notify("notifications/message",
         {{"level", to_string(level)}, {"logger", "toolgate"}, {"data", data}});
}

void RequestContext::forward_log(const json& params) const {
  McpLevel level = McpLevel::info;
  auto l = params.find("level");
  if (l == params.end() || !l->is_string() || !parse_mcp_level(*l, &level)) return;
  if (peer && peer->wants_upstream_log(level)) notify("notifications/message", params);
}

Result<json> RequestContext::ask_client(const std::string& method, json params,
                                        uint64_t timeout_ms) const {
  if (!peer) return Error{kNoClientStream, "no open stream to the client"};
  auto now = std::chrono::steady_clock::now();
  if (deadline != std::chrono::steady_clock::time_point::max()) {
    if (deadline <= now) return Error{rpc::kRequestTimeout, "the request's deadline has passed"};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    timeout_ms = std::min<uint64_t>(timeout_ms, uint64_t(left));
  }
  return peer->request_client(method, std::move(params), timeout_ms, stream, cancel.get());
}

ForwardContext RequestContext::forward() const {
  ForwardContext f;
  f.session = peer ? peer->session() : nullptr;
  f.stream = stream;
  f.progress_token = progress_token;
  f.cancel = cancel.get();
  f.client_capabilities = client_capabilities;
  f.caller = caller.id;
  if (era != ProtocolEra::stateless_2026) return f;
  f.stateless_client = true;
  f.log_level = log_level;
  for (const char* k : {"inputResponses", "requestState"})
    if (auto v = params.find(k); v != params.end() && !v->is_null()) f.retry[k] = *v;
  return f;
}

RequestContext RequestContext::nested(json params) const {
  RequestContext inner = *this;
  inner.params = std::move(params);
  inner.progress_token = nullptr;
  if (auto meta = inner.params.find("_meta"); meta != inner.params.end() && meta->is_object())
    if (auto t = meta->find("progressToken"); t != meta->end()) inner.progress_token = *t;
  return inner;
}

}  // namespace toolgate
