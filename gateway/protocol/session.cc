#include "gateway/protocol/session.h"

#include "common/log.h"
#include "gateway/gateway.h"
#include "gateway/protocol/jsonrpc.h"

namespace toolgate {
namespace {

constexpr const char* kLevelNames[] = {"debug", "info",     "notice", "warning",
                                       "error", "critical", "alert",  "emergency"};
constexpr const char* kVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

int64_t now_ns() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

}  // namespace

// Cursors are opaque to clients but simple for us: "tg1.<offset>".
std::string encode_cursor(size_t offset) { return "tg1." + std::to_string(offset); }

bool decode_cursor(const json& c, size_t* offset) {
  if (!c.is_string()) return false;
  const std::string& s = c.get_ref<const std::string&>();
  if (s.rfind("tg1.", 0) != 0 || s.size() < 5 || s.size() > 16) return false;
  std::string digits = s.substr(4);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return false;
  *offset = std::stoul(digits);
  return true;
}

bool parse_mcp_level(const std::string& s, McpLevel* out) {
  for (int i = 0; i < 8; ++i) {
    if (s == kLevelNames[i]) {
      *out = static_cast<McpLevel>(i);
      return true;
    }
  }
  return false;
}

bool supported_protocol_version(const std::string& v) {
  for (const char* s : kVersions)
    if (v == s) return true;
  return false;
}

Session::Session(Server& server, std::string id, Caller caller)
    : server_(server), id_(std::move(id)), caller_(std::move(caller)) {
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

void Session::set_default_outbound(std::shared_ptr<Outbound> out) {
  std::lock_guard<std::mutex> lock(mu_);
  default_out_ = std::move(out);
}

std::shared_ptr<Outbound> Session::default_outbound() const {
  std::lock_guard<std::mutex> lock(mu_);
  return default_out_;
}

bool Session::emit(const json& msg, Outbound* stream) {
  if (stream && stream->send(msg)) return true;
  auto out = default_outbound();
  return out && out->send(msg);
}

void Session::notify(const std::string& method, json params, Outbound* stream) {
  emit(make_notification(method, std::move(params)), stream);
}

void Session::forward_log(const json& params, Outbound* stream) {
  McpLevel level = McpLevel::info;
  auto l = params.find("level");
  if (l == params.end() || !l->is_string() || !parse_mcp_level(*l, &level)) return;
  if (level_set_ && level < log_level_.load()) return;
  notify("notifications/message", params, stream);
}

void Session::log_to_client(McpLevel level, const json& data, Outbound* stream) {
  if (level < log_level_.load()) return;
  notify("notifications/message",
         {{"level", kLevelNames[int(level)]}, {"logger", "toolgate"}, {"data", data}}, stream);
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
  if (auto cat = server_.catalog())
    for (auto& up : cat->upstreams()) up->session_closed(*this);
}

Result<json> Session::request_client(const std::string& method, json params, uint64_t timeout_ms,
                                     Outbound* stream, const CancelToken* cancel) {
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
  if (!emit(make_request(id, method, std::move(params)), stream)) {
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

void Session::handle_response(const json& msg) {
  std::shared_ptr<std::promise<json>> p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = awaiting_.find(id_key(msg["id"]));
    if (it == awaiting_.end()) {
      log::debug("response to an unknown request ignored", {{"session", id_}});
      return;
    }
    p = it->second;
    awaiting_.erase(it);
  }
  p->set_value(msg);
}

void Session::handle_notification(const json& msg) {
  const std::string& method = msg["method"].get_ref<const std::string&>();
  json params = msg.value("params", json::object());
  if (method == "notifications/initialized") {
    return;
  }
  if (method == "notifications/cancelled") {
    if (!params.is_object()) return;
    auto rid = params.find("requestId");
    if (rid == params.end() || !valid_id(*rid)) return;
    std::shared_ptr<CancelToken> token;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = in_flight_.find(id_key(*rid));
      if (it != in_flight_.end()) token = it->second;
    }
    // Unknown or finished ids are ignored, as the spec asks.
    if (token) token->cancel();
    return;
  }
  // Other notifications (roots/list_changed, progress, ...) need no action.
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
  json caps = {{"tools", {{"listChanged", true}}}, {"logging", json::object()}};
  // What upstream MCP servers offer besides tools, the gateway offers too.
  for (auto& up : server_.catalog()->upstreams()) {
    json uc = up->capabilities();
    if (uc.contains("resources")) caps["resources"] = {{"subscribe", true}, {"listChanged", true}};
    if (uc.contains("prompts")) caps["prompts"] = {{"listChanged", true}};
    if (uc.contains("completions")) caps["completions"] = json::object();
  }
  return {
      {"protocolVersion", chosen},
      {"capabilities", caps},
      {"serverInfo",
       {{"name", "toolgate"}, {"title", "toolgate MCP gateway"}, {"version", TOOLGATE_VERSION}}},
      {"instructions",
       "Tools are served through toolgate: every call is checked against the gateway's "
       "policy and runs in an isolated worker process."}};
}

std::optional<json> Session::dispatch_request(const json& msg, Outbound* stream) {
  const json& id = msg["id"];
  const std::string& method = msg["method"].get_ref<const std::string&>();
  json params = msg.value("params", json::object());
  if (params.is_null()) params = json::object();

  if (method == "initialize") {
    if (initialized_)
      return make_error(id, rpc::kInvalidRequest, "the session is already initialized");
    if (!params.contains("protocolVersion") || !params["protocolVersion"].is_string()) {
      return make_error(id, rpc::kInvalidParams,
                        "initialize needs params.protocolVersion (a string)");
    }
    return make_result(id, handle_initialize(params));
  }
  if (method == "ping") return make_result(id, json::object());
  if (!initialized_) {
    return make_error(id, rpc::kInvalidRequest,
                      "the session is not initialized: send initialize first");
  }
  if (method == "tools/list") {
    Snapshot snap = server_.snapshot();
    // Tools the policy denies this caller whatever the arguments are hidden,
    // so the model does not plan around tools it can never use.
    std::vector<const Tool*> visible;
    bool hide = snap.config->server.hide_denied_tools;
    for (auto& t : snap.catalog->tools()) {
      if (!t->listed) continue;  // reached through its source's call_tool
      if (!hide || !snap.policy->denies_always(caller_, *t)) visible.push_back(t.get());
    }
    size_t offset = 0;
    if (auto c = params.find("cursor"); c != params.end() && !c->is_null()) {
      if (!decode_cursor(*c, &offset) || offset > visible.size()) {
        return make_error(id, rpc::kInvalidParams, "invalid cursor");
      }
    }
    size_t page = snap.config->server.page_size;
    json tools = json::array();
    size_t end = std::min(visible.size(), offset + page);
    for (size_t i = offset; i < end; ++i) tools.push_back(visible[i]->to_mcp());
    json result = {{"tools", std::move(tools)}};
    if (end < visible.size()) result["nextCursor"] = encode_cursor(end);
    return make_result(id, std::move(result));
  }
  if (method == "tools/call") {
    auto token = begin_call(id);
    if (!token)
      return make_error(id, rpc::kInvalidRequest, "a request with this id is already in flight");
    InFlight done{*this, id};
    return handle_tools_call(server_, *this, id, params, stream, *token);
  }
  if (method == "logging/setLevel") {
    McpLevel level;
    auto l = params.find("level");
    if (l == params.end() || !l->is_string() || !parse_mcp_level(*l, &level)) {
      return make_error(id, rpc::kInvalidParams,
                        "params.level must be one of debug, info, notice, warning, error, "
                        "critical, alert, emergency");
    }
    log_level_ = level;
    level_set_ = true;
    return make_result(id, json::object());
  }
  if (is_federated(method)) {
    auto token = begin_call(id);
    if (!token)
      return make_error(id, rpc::kInvalidRequest, "a request with this id is already in flight");
    InFlight done{*this, id};
    return handle_federated(server_, *this, id, method, params, stream, *token);
  }
  return make_error(id, rpc::kMethodNotFound, "method not found: " + method);
}

std::optional<json> Session::handle(const json& msg, Outbound* stream) {
  touch();
  Classified c = classify(msg);
  switch (c.kind) {
    case MessageKind::invalid:
      return make_error(c.id, rpc::kInvalidRequest, c.error);
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
    return dispatch_request(msg, stream);
  } catch (const std::exception& e) {
    // Invariant breaks only: input problems are answered above.
    log::error("internal error handling a request", {{"error", e.what()}});
    return make_error(msg["id"], rpc::kInternalError, "internal error");
  }
}

}  // namespace toolgate
