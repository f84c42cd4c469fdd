#include "gateway/protocol/dispatcher.h"

#include "gateway/call/federation.h"
#include "gateway/call/pipeline.h"
#include "gateway/call/tools_list.h"
#include "gateway/catalog/catalog.h"
#include "gateway/catalog/upstream.h"
#include "gateway/generations.h"
#include "gateway/protocol/jsonrpc.h"

namespace toolgate {

Snapshot Dispatcher::snapshot() const { return generations_.current(); }

json Dispatcher::server_capabilities() const {
  json caps = {{"tools", {{"listChanged", true}}}, {"logging", json::object()}};
  for (auto& up : generations_.current().catalog->upstreams()) {
    json uc = up->capabilities();
    if (uc.contains("resources")) caps["resources"] = {{"subscribe", true}, {"listChanged", true}};
    if (uc.contains("prompts")) caps["prompts"] = {{"listChanged", true}};
    if (uc.contains("completions")) caps["completions"] = json::object();
  }
  return caps;
}

json Dispatcher::server_info() {
  return {{"name", "toolgate"}, {"title", "toolgate MCP gateway"}, {"version", TOOLGATE_VERSION}};
}

const char* Dispatcher::instructions() {
  return "Tools are served through toolgate: every call is checked against the gateway's "
         "policy and runs in an isolated worker process.";
}

bool Dispatcher::cancellable(const std::string& method) {
  return method == "tools/call" || is_federated(method);
}

bool Dispatcher::may_talk_back(const std::string& method) { return method == "tools/call"; }

std::optional<json> Dispatcher::handle(RequestContext& rq) const {
  if (rq.method == "ping") return make_result(rq.id, json::object());
  if (rq.method == "tools/list") return list_tools(rq);
  if (rq.method == "tools/call") return calls_.run(rq);
  if (is_federated(rq.method)) return answer_federated(rq);
  return make_error(rq.id, rpc::kMethodNotFound, "method not found: " + rq.method);
}

void Dispatcher::session_closed(Session& session) const {
  if (auto cat = generations_.current().catalog)
    for (auto& up : cat->upstreams()) up->session_closed(session);
}

}  // namespace toolgate
