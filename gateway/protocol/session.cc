#include "gateway/protocol/session.h"

#include "common/log.h"
#include "gateway/protocol/dispatcher.h"

namespace toolgate {
namespace {

constexpr const char* kVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

int64_t now_ns() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

}  // namespace

bool supported_protocol_version(const std::string& v) {
  for (const char* s : kVersions)
    if (v == s) return true;
  return false;
}

Session::Session(const Dispatcher& dispatcher, std::string id, Caller caller)
    : dispatcher_(dispatcher), id_(std::move(id)), caller_(std::move(caller)) {
  touch();
}

Session::~Session() { close(); }

void Session::touch() { last_active_ns_.store(now_ns()); }

std::chrono::steady_clock::time_point Session::last_active() const {
  return std::chrono::steady_clock::time_point(
      std::chrono::steady_clock::duration(last_active_ns_.load()));
}

std::string Session::protocol_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return protocol_version_;
}

json Session::client_capabilities() const {
  std::lock_guard<std::mutex> lock(mu_);
  return client_capabilities_;
}

bool Session::client_supports(const std::string& capability) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = client_capabilities_.find(capability);
  return it != client_capabilities_.end() && it->is_object();
}

void Session::set_default_stream(std::shared_ptr<ClientStream> out) {
  std::lock_guard<std::mutex> lock(mu_);
  default_out_ = std::move(out);
}

std::shared_ptr<ClientStream> Session::default_stream() const {
  std::lock_guard<std::mutex> lock(mu_);
  return default_out_;
}

bool Session::send(const json& msg, ClientStream* stream) {
  if (stream && stream->send(msg)) return true;
  auto out = default_stream();
  return out && out->send(msg);
}

void Session::notify(const std::string& method, json params, ClientStream* stream) {
  send(make_notification(method, std::move(params)), stream);
}

void Session::forward_log(const json& params, ClientStream* stream) {
  McpLevel level = McpLevel::info;
  auto l = params.find("level");
  if (l == params.end() || !l->is_string() || !parse_mcp_level(*l, &level)) return;
  if (wants_upstream_log(level)) notify("notifications/message", params, stream);
}

bool Session::wants_stream(const Message& msg) const {
  if (!msg.is_request() || !Dispatcher::may_talk_back(msg.method)) return false;
  return !msg.progress_token.is_null() || client_supports("elicitation") ||
         client_supports("sampling") || client_supports("roots");
}

std::shared_ptr<CancelToken> Session::begin_call(const json& id) {
  auto token = std::make_shared<CancelToken>();
  std::lock_guard<std::mutex> lock(mu_);
  // Ids are never reused within a session: a second call under an id still
  // in flight would make cancellation ambiguous.
  if (!in_flight_.emplace(id_key(id), token).second) return nullptr;
  if (closed_) token->cancel();
  return token;
}

void Session::end_call(const json& id) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_.erase(id_key(id));
}

void Session::close() {
  if (closed_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, token] : in_flight_) token->cancel();
    for (auto& [k, p] : awaiting_) {
      p->set_value(make_error(nullptr, rpc::kInternalError, "session closed"));
    }
    awaiting_.clear();
    if (default_out_) default_out_->close();
  }
  // Outside the lock: stopping a session's upstream server takes a moment,
  // and its threads may be waiting for this session meanwhile.
  dispatcher_.session_closed(*this);
}

Result<json> Session::request_client(const std::string& method, json params, uint64_t timeout_ms,
                                     ClientStream* stream, const CancelToken* cancel) {
  auto promise = std::make_shared<std::promise<json>>();
  auto future = promise->get_future();
  std::string id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Error{rpc::kInternalError, "session closed"};
    id = "tg-" + std::to_string(next_request_id_++);
    awaiting_[id_key(json(id))] = promise;
  }
  auto forget = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    awaiting_.erase(id_key(json(id)));
  };
  if (!send(make_request(id, method, std::move(params)), stream)) {
    forget();
    return Error{kNoClientStream, "no open stream to the client"};
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool ready = false;
  while (!ready && std::chrono::steady_clock::now() < deadline) {
    if (cancel && cancel->cancelled()) {
      forget();
      return Error{rpc::kRequestTimeout, "the call was cancelled"};
    }
    auto slice = std::min<std::chrono::steady_clock::time_point>(
        deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
    ready = future.wait_until(slice) == std::future_status::ready;
  }
  if (!ready) {
    forget();
    return Error{rpc::kRequestTimeout, "the client did not answer " + method + " within " +
                                           std::to_string(timeout_ms) + " ms"};
  }
  json reply = future.get();
  if (auto e = reply.find("error"); e != reply.end())
    return error_of(*e, "the client returned an error");
  auto r = reply.find("result");
  return r != reply.end() ? *r : json::object();
}

void Session::handle_response(const Message& msg) {
  std::shared_ptr<std::promise<json>> p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = awaiting_.find(id_key(msg.id));
    if (it == awaiting_.end()) {
      log::debug("response to an unknown request ignored", {{"session", id_}});
      return;
    }
    p = it->second;
    awaiting_.erase(it);
  }
  p->set_value(msg.body);
}

void Session::handle_notification(const Message& msg) {
  if (msg.method != "notifications/cancelled") return;  // initialized, roots/list_changed, ...
  auto rid = msg.params.find("requestId");
  if (rid == msg.params.end() || !valid_id(*rid)) return;
  std::shared_ptr<CancelToken> token;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = in_flight_.find(id_key(*rid));
    if (it != in_flight_.end()) token = it->second;
  }
  // Unknown or finished ids are ignored, as the spec asks.
  if (token) token->cancel();
}

json Session::handle_initialize(const json& params) {
  std::string requested = params.value("protocolVersion", "");
  std::string chosen = supported_protocol_version(requested) ? requested : kLatestProtocolVersion;
  {
    std::lock_guard<std::mutex> lock(mu_);
    protocol_version_ = chosen;
    auto caps = params.find("capabilities");
    client_capabilities_ = (caps != params.end() && caps->is_object()) ? *caps : json::object();
  }
  initialized_ = true;
  return {{"protocolVersion", chosen},
          {"capabilities", dispatcher_.server_capabilities()},
          {"serverInfo", Dispatcher::server_info()},
          {"instructions", Dispatcher::instructions()}};
}

std::optional<json> Session::set_level(const Message& msg) {
  McpLevel level;
  auto l = msg.params.find("level");
  if (l == msg.params.end() || !l->is_string() || !parse_mcp_level(*l, &level)) {
    return make_error(msg.id, rpc::kInvalidParams,
                      "params.level must be one of debug, info, notice, warning, error, "
                      "critical, alert, emergency");
  }
  log_level_ = level;
  level_set_ = true;
  return make_result(msg.id, json::object());
}

RequestContext Session::context_for(Message& msg, ClientStream* stream) const {
  RequestContext rq = RequestContext::of(msg, caller_, ProtocolEra::session_2025);
  {
    std::lock_guard<std::mutex> lock(mu_);
    rq.protocol_version = protocol_version_;
    rq.client_capabilities = client_capabilities_;
  }
  rq.snapshot = dispatcher_.snapshot();
  rq.peer = const_cast<Session*>(this);
  rq.stream = stream;
  return rq;
}

std::optional<json> Session::handle_request(Message& msg, ClientStream* stream) {
  const json& id = msg.id;
  if (msg.method == "initialize") {
    if (initialized_)
      return make_error(id, rpc::kInvalidRequest, "the session is already initialized");
    auto v = msg.params.find("protocolVersion");
    if (v == msg.params.end() || !v->is_string()) {
      return make_error(id, rpc::kInvalidParams,
                        "initialize needs params.protocolVersion (a string)");
    }
    return make_result(id, handle_initialize(msg.params));
  }
  if (msg.method == "ping") return make_result(id, json::object());
  if (!initialized_) {
    return make_error(id, rpc::kInvalidRequest,
                      "the session is not initialized: send initialize first");
  }
  if (msg.method == "logging/setLevel") return set_level(msg);
  bool cancellable = Dispatcher::cancellable(msg.method);
  RequestContext rq = context_for(msg, stream);
  if (!cancellable) return dispatcher_.handle(rq);
  rq.cancel = begin_call(id);
  if (!rq.cancel)
    return make_error(id, rpc::kInvalidRequest, "a request with this id is already in flight");
  InFlight done{*this, id};
  return dispatcher_.handle(rq);
}

std::optional<json> Session::handle(Message msg, ClientStream* stream) {
  touch();
  switch (msg.kind) {
    case MessageKind::invalid:
      return make_error(msg.id, rpc::kInvalidRequest, msg.error);
    case MessageKind::notification:
      handle_notification(msg);
      return std::nullopt;
    case MessageKind::response:
      handle_response(msg);
      return std::nullopt;
    case MessageKind::request:
      break;
  }
  try {
    return handle_request(msg, stream);
  } catch (const std::exception& e) {
    // Invariant breaks only: input problems are answered above.
    log::error("internal error handling a request", {{"error", e.what()}});
    return make_error(msg.id, rpc::kInternalError, "internal error");
  }
}

}  // namespace toolgate
