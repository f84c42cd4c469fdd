#include "gateway/protocol/stateless.h"

#include "common/log.h"
#include "gateway/config/config.h"
#include "gateway/protocol/dispatcher.h"

namespace toolgate {
namespace {

// Methods of the 2025 eras that 2026-07-28 removed: sessions, pings and the
// session-wide log level are gone, and subscriptions/listen replaces
// resources/subscribe.
bool removed_in_2026(const std::string& method) {
  return method == "initialize" || method == "ping" || method == "logging/setLevel" ||
         method == "resources/subscribe" || method == "resources/unsubscribe";
}

bool is_list_method(const std::string& method) {
  return method == "tools/list" || method == "prompts/list" || method == "resources/list" ||
         method == "resources/templates/list" || method == "resources/read";
}

// How long a client may keep a list. Lists change on a reload or when an
// upstream says so; subscriptions/listen tells a client at once, and a
// client that doesn't listen is at most this stale.
constexpr uint64_t kListTtlMs = 60000;

// The way back to the client of one 2026 request: only the request's own
// stream, for notifications. There are no server-to-client requests in
// this era; a question to the client is an input_required result.
class RequestPeer : public ClientPeer {
 public:
  RequestPeer(ClientStream* stream, const Envelope& env)
      : stream_(stream), level_(env.log_level), level_set_(env.log_level_set) {}
  const std::string& peer_id() const override { return none_; }
  bool send(const json& msg, ClientStream* stream) override {
    ClientStream* out = stream ? stream : stream_;
    return out && out->send(msg);
  }
  Result<json> request_client(const std::string&, json, uint64_t, ClientStream*,
                              const CancelToken*) override {
    return Error{kNoClientStream,
                 "MCP 2026-07-28 has no server-to-client requests; the question is asked with "
                 "an input_required result"};
  }
  // Log messages only when the request asked for them, at its level.
  bool wants_log(McpLevel level) const override { return level_set_ && level >= level_; }
  bool wants_upstream_log(McpLevel level) const override { return wants_log(level); }

 private:
  ClientStream* stream_;
  McpLevel level_;
  bool level_set_;
  const std::string none_;
};

std::string flight_key(const Caller& caller, const json& id) {
  return caller.id + '\n' + id_key(id);
}

}  // namespace

bool StatelessFront::claims(const Message& msg) {
  if (msg.kind != MessageKind::request && msg.kind != MessageKind::notification) return false;
  if (msg.method == "server/discover") return true;
  auto meta = msg.params.find("_meta");
  return meta != msg.params.end() && meta->is_object() && meta->contains(kMetaProtocolVersion);
}

bool StatelessFront::wants_stream(const Message& msg) {
  if (holds_open(msg)) return true;
  return msg.is_request() && Dispatcher::may_talk_back(msg.method) &&
         (!msg.progress_token.is_null() || read_envelope(msg.params).log_level_set);
}

json StatelessFront::discover() const {
  json caps = dispatcher_.server_capabilities();
  // Prompts and resources are federated from upstream MCP servers; with
  // none, the lists are empty but still answered, so they are declared
  // (a 2026 client must not be told of a method the server then answers).
  caps["prompts"] = {{"listChanged", true}};
  caps["resources"] = {{"listChanged", true}};
  caps["extensions"] = {{kTasksExtension, json::object()}};
  return {{"supportedVersions", supported_versions()},
          {"capabilities", std::move(caps)},
          {"instructions", Dispatcher::instructions()},
          {"ttlMs", kListTtlMs},
          {"cacheScope", "public"}};
}

json stamp_stateless_result(const std::string& method, json result, bool caller_specific) {
  if (!result.is_object()) return result;
  if (!result.contains("resultType")) result["resultType"] = "complete";
  json& meta = result["_meta"];
  if (!meta.is_object()) meta = json::object();
  meta[kMetaServerInfo] = Dispatcher::server_info();
  if (is_list_method(method) || method == "server/discover") {
    if (!result.contains("ttlMs")) result["ttlMs"] = kListTtlMs;
    if (caller_specific) {
      result["cacheScope"] = "private";
    } else if (!result.contains("cacheScope")) {
      result["cacheScope"] = "public";
    }
  }
  return result;
}

void StatelessFront::cancel(const Caller& caller, const json& params) {
  auto rid = params.find("requestId");
  if (rid == params.end() || !valid_id(*rid)) return;
  std::lock_guard<std::mutex> lock(mu_);
  // Only the caller's own requests: ids are chosen by clients, and another
  // caller's request may carry the same one.
  if (auto it = in_flight_.find(flight_key(caller, *rid)); it != in_flight_.end())
    it->second->cancel();
}

std::optional<json> StatelessFront::handle_request(Message& msg, const Caller& caller,
                                                   ClientStream* stream) {
  Envelope env = read_envelope(msg.params);
  if (!env.problem.empty()) return envelope_error(msg.id, env);
  if (env.claimed && !is_stateless_version(env.version))
    return unsupported_version_error(msg.id, env.version);
  if (!env.claimed) {
    return make_error(msg.id, rpc::kInvalidParams,
                      std::string("a 2026-07-28 request must carry _meta.") + kMetaProtocolVersion);
  }
  if (msg.method == "server/discover")
    return make_result(msg.id, stamp_stateless_result(msg.method, discover(), false));
  if (removed_in_2026(msg.method)) {
    return make_error(msg.id, rpc::kMethodNotFound,
                      "method not found in protocol revision 2026-07-28: " + msg.method);
  }
  if (msg.method == "subscriptions/listen")
    return listeners_.listen(msg.id, msg.params, stream, discover()["capabilities"]);

  RequestPeer peer(stream, env);
  RequestContext rq = RequestContext::of(msg, caller, ProtocolEra::stateless_2026);
  rq.protocol_version = env.version;
  rq.client_capabilities = std::move(env.client_capabilities);
  if (env.log_level_set) rq.log_level = to_string(env.log_level);
  rq.snapshot = dispatcher_.snapshot();
  rq.peer = &peer;
  rq.stream = stream;

  std::string key;
  if (Dispatcher::cancellable(rq.method)) {
    rq.cancel = std::make_shared<CancelToken>();
    std::lock_guard<std::mutex> lock(mu_);
    // A second request under an id still in flight runs, but only the first
    // can be cancelled by id.
    if (in_flight_.emplace(flight_key(caller, rq.id), rq.cancel).second)
      key = flight_key(caller, rq.id);
  }
  struct Forget {
    StatelessFront& f;
    const std::string& key;
    ~Forget() {
      if (key.empty()) return;
      std::lock_guard<std::mutex> lock(f.mu_);
      f.in_flight_.erase(key);
    }
  } forget{*this, key};

  auto reply = dispatch(rq);
  if (!reply) return std::nullopt;
  auto r = reply->find("result");
  if (r == reply->end()) return reply;
  bool caller_specific = rq.method == "tools/list" && rq.snapshot.config->server.hide_denied_tools;
  *r = stamp_stateless_result(rq.method, std::move(*r), caller_specific);
  return reply;
}

std::optional<json> StatelessFront::dispatch(RequestContext& rq) {
  bool task_method =
      rq.method == "tasks/get" || rq.method == "tasks/cancel" || rq.method == "tasks/update";
  if (task_method && !TaskStore::declared(rq)) {
    return make_error(
        rq.id, rpc::kMissingClientCapability,
        std::string("the client must declare the ") + kTasksExtension + " extension",
        {{"requiredCapabilities", {{"extensions", {{kTasksExtension, json::object()}}}}}});
  }
  if (rq.method == "tasks/get") return tasks_.get(rq.id, rq.caller, rq.params);
  if (rq.method == "tasks/cancel") return tasks_.cancel(rq.id, rq.caller, rq.params);
  if (rq.method == "tasks/update") return tasks_.update(rq.id, rq.caller, rq.params);
  const Dispatcher* d = &dispatcher_;
  return tasks_.run(rq, rq.snapshot.config->server.tasks,
                    [d](RequestContext& r) { return d->handle(r); });
}

std::optional<json> StatelessFront::handle(Message msg, const Caller& caller,
                                           ClientStream* stream) {
  switch (msg.kind) {
    case MessageKind::invalid:
      return make_error(msg.id, rpc::kInvalidRequest, msg.error);
    case MessageKind::response:  // there are no server-to-client requests to answer
      return std::nullopt;
    case MessageKind::notification:
      if (msg.method == "notifications/cancelled") cancel(caller, msg.params);
      return std::nullopt;
    case MessageKind::request:
      break;
  }
  try {
    return handle_request(msg, caller, stream);
  } catch (const std::exception& e) {
    log::error("internal error handling a request", {{"error", e.what()}});
    return make_error(msg.id, rpc::kInternalError, "internal error");
  }
}

}  // namespace toolgate
