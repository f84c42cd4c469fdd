#include "adapters/mcp/upstream.h"
#include "adapters/mcp/upstream_call.h"

#include <cstring>
#include <thread>

#include "common/log.h"
#include "gateway/protocol/envelope.h"
#include "gateway/protocol/jsonrpc.h"
#include "gateway/protocol/session.h"

namespace toolgate::mcp {
namespace {

constexpr auto kMaxBackoff = std::chrono::seconds(30);
// A server up this long has recovered: its next crash starts the backoff anew.
constexpr auto kHealthyAfter = std::chrono::seconds(60);
// Lists are gathered page by page; a server that never stops paging is cut off.
constexpr int kMaxPages = 100;
constexpr uint64_t kNestedRequestTimeoutMs = 10 * 60 * 1000;
// Requests of the server in flight to clients at once; more are refused.
constexpr int kMaxNested = 16;
// However much progress a server reports, a request ends by this many
// times its timeout.
constexpr int kProgressCap = 10;

// Whether a 2026 client that asked for `asked` ("" for nothing) gets an
// upstream's notifications/message with these params.
bool log_wanted(const std::string& asked, const json& params) {
  McpLevel want, level;
  auto l = params.find("level");
  return !asked.empty() && parse_mcp_level(asked, &want) && l != params.end() && l->is_string() &&
         parse_mcp_level(*l, &level) && level >= want;
}

}  // namespace

std::shared_ptr<Upstream> Upstream::create(UpstreamOptions options) {
  return std::shared_ptr<Upstream>(new Upstream(std::move(options)));
}

Upstream::~Upstream() {
  std::shared_ptr<Link> link;
  {
    std::lock_guard<std::mutex> lock(mu_);
    link = std::move(link_);
    running_ = false;
  }
  if (link) link->close();
}

json Upstream::capabilities() const {
  std::lock_guard<std::mutex> lock(mu_);
  return capabilities_.is_object() ? capabilities_ : json::object();
}

Result<json> Upstream::ready(uint64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return start_locked(lock, timeout_ms);
}

Result<json> Upstream::start_locked(std::unique_lock<std::mutex>& lock, uint64_t timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  // One start at a time; the others wait for its outcome.
  cv_.wait_until(lock, deadline, [&] { return !starting_; });
  if (running_) return capabilities_;
  if (starting_) return Error{rpc::kInternalError, "'" + opt_.source + "' is still starting"};
  if (Clock::now() < next_start_) {
    auto s = std::chrono::duration_cast<std::chrono::seconds>(next_start_ - Clock::now()).count();
    return Error{rpc::kInternalError, "the upstream server '" + opt_.source + "' is unavailable (" +
                                          last_error_ + "); it is started again in " +
                                          std::to_string(s + 1) + " s"};
  }
  starting_ = true;
  uint64_t gen = ++generation_;
  bool restart = gen > 1;
  lock.unlock();
  auto link = StdioLink::start(*opt_.launcher, opt_.order, opt_.source, handlers_for(gen));
  lock.lock();
  auto fail = [&](const std::string& why) -> Error {
    starting_ = false;
    last_error_ = why;
    ++failures_;
    auto backoff = std::min<Clock::duration>(
        std::chrono::seconds(1LL << std::min(failures_ - 1, 5)), kMaxBackoff);
    next_start_ = Clock::now() + backoff;
    cv_.notify_all();
    return Error{rpc::kInternalError,
                 "the upstream server '" + opt_.source + "' failed to start: " + why};
  };
  if (!link) return fail(link.error().message);
  link_ = std::move(*link);
  running_ = true;  // requests may go out now; the handshake is the first
  lock.unlock();
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  auto r = handshake(uint64_t(std::max<int64_t>(left, 1000)));
  lock.lock();
  // The server may have exited right after answering: then this start failed.
  if (!r || !r->is_object() || !running_ || !link_ || generation_ != gen) {
    std::shared_ptr<Link> dead = generation_ == gen ? std::move(link_) : nullptr;
    running_ = false;
    lock.unlock();
    if (dead) dead->close();
    lock.lock();
    return fail(!r                ? r.error().message
                : !r->is_object() ? "the initialize answer is not an object"
                                  : "it exited right after the handshake");
  }
  capabilities_ = r->value("capabilities", json::object());
  if (!capabilities_.is_object()) capabilities_ = json::object();
  stateless_ = r->value("stateless", false);
  starting_ = false;
  started_at_ = Clock::now();
  cv_.notify_all();
  after_handshake(lock, restart);
  return capabilities_;
}

LinkHandlers Upstream::handlers_for(uint64_t gen) {
  std::weak_ptr<Upstream> weak = weak_from_this();
  return LinkHandlers{[weak](json m) {
                        if (auto self = weak.lock()) self->on_message(std::move(m));
                      },
                      [weak, gen](const std::string& why) {
                        auto self = weak.lock();
                        if (!self) return;
                        {
                          std::lock_guard<std::mutex> l(self->mu_);
                          if (self->generation_ != gen) return;  // a stale start's link
                        }
                        self->on_closed(why);
                      }};
}

void Upstream::after_handshake(std::unique_lock<std::mutex>& lock, bool restart) {
  std::shared_ptr<Link> l = link_;
  bool logging = capabilities_.contains("logging");
  bool stateless = stateless_;
  std::vector<json> listen;
  if (stateless) listen = relisten_locked();  // list changes come on it; it never answers
  lock.unlock();
  if (!stateless) {
    l->send(make_notification("notifications/initialized", nullptr));
    // Everything is asked for; each client's own level filters what it gets.
    if (logging) request("logging/setLevel", {{"level", "debug"}}, nullptr, 10000);
  }
  for (auto& m : listen) l->send(m);
  log::info("upstream server ready", {{"source", opt_.source},
                                      {"restart", restart},
                                      {"protocol", stateless ? kStatelessVersion : "2025"}});
  if (restart && opt_.launcher->changed) opt_.launcher->changed("tools");
  lock.lock();
}

Result<json> Upstream::forward(const std::string& method, json params, ForwardContext& ctx) {
  bool subscribed = false;  // a subscriber was added for `uri`
  std::string uri;
  bool stateless;
  std::vector<json> relisten;
  {
    std::unique_lock<std::mutex> lock(mu_);
    // Nothing but the handshake goes out before the handshake is done.
    if (!running_ || starting_) {
      auto r = start_locked(lock, opt_.request_timeout_ms);
      if (!r) return r.error();
    }
    stateless = stateless_;
    // Subscriptions are counted per URI: the server hears the first
    // subscribe and the last unsubscribe; updates go to every subscriber.
    bool sub = method == "resources/subscribe", unsub = method == "resources/unsubscribe";
    if ((sub || unsub) && ctx.session && params.is_object() &&
        params.value("uri", json()).is_string()) {
      uri = params["uri"];
      auto& subs = subscribers_[uri];
      bool had = !subs.empty();
      if (sub)
        subs[ctx.session] = ctx.session->weak_from_this();
      else
        subs.erase(ctx.session);
      bool others = sub ? had : !subs.empty();
      if (subs.empty()) subscribers_.erase(uri);
      if (others) return json::object();
      subscribed = sub;
    }
    // A 2026 server has no resources/subscribe: the URIs are named in a
    // new subscriptions/listen, which replaces the old one.
    if ((sub || unsub) && stateless) relisten = relisten_locked();
  }
  if (!relisten.empty()) {
    for (auto& m : relisten) send_now(m);
    return json::object();
  }
  // A 2026 client's retry of a call this (2025) server asked it about.
  if (!stateless && ctx.stateless_client) {
    auto state = ctx.retry.find("requestState");
    if (state != ctx.retry.end() && state->is_string() &&
        state->get_ref<const std::string&>().rfind(kParkedStatePrefix, 0) == 0)
      return resume(state->get<std::string>().substr(std::strlen(kParkedStatePrefix)), method,
                    params, ctx);
  }
  params = shape_params(method, std::move(params), ctx, stateless);
  auto r = request(method, params, &ctx, opt_.request_timeout_ms);
  // A 2025 client cannot answer input_required itself: it is asked, and
  // the answers go back to the server with the request sent again.
  if (stateless && r && r->is_object() && r->value("resultType", "") == "input_required" &&
      !ctx.stateless_client)
    r = answer_input_required(method, std::move(params), std::move(*r), ctx);
  if (!r && subscribed) {
    // The server did not subscribe: this session is not a subscriber.
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = subscribers_.find(uri); it != subscribers_.end()) {
      it->second.erase(ctx.session);
      if (it->second.empty()) subscribers_.erase(it);
    }
  }
  return r;
}

Result<json> Upstream::request(const std::string& method, json params, ForwardContext* ctx,
                               uint64_t timeout_ms) {
  auto call = std::make_shared<Call>();
  call->timeout_ms = timeout_ms;
  call->deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  call->latest = Clock::now() + std::chrono::milliseconds(timeout_ms * kProgressCap);
  int64_t id;
  // A copy: a crash may drop link_ while this request still uses it.
  std::shared_ptr<Link> link;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_ || !link_)
      return Error{rpc::kInternalError, "the upstream server '" + opt_.source + "' is not running"};
    id = next_id_++;
    if (ctx) {
      call->stream = ctx->stream;
      call->cancel = ctx->cancel;
      call->stateless = ctx->stateless_client;
      call->log_level = ctx->log_level;
      call->client_capabilities = ctx->client_capabilities;
      call->caller = ctx->caller;
      for (const char* k : {"name", "uri"}) {
        if (params.is_object() && params.value(k, json()).is_string()) {
          call->target = params[k];
          break;
        }
      }
      if (ctx->session) {
        call->session = ctx->session->weak_from_this();
        sessions_[ctx->session] = call->session;
      }
      if (!ctx->progress_token.is_null()) {
        call->client_token = ctx->progress_token;
        call->our_token = "tg-" + std::to_string(id);
        by_token_[call->our_token] = call;
      }
    }
    pending_[id] = call;
    link = link_;
  }
  if (!params.is_object()) params = json::object();
  if (!call->our_token.empty()) params["_meta"]["progressToken"] = call->our_token;
  if (!link->send(make_request(id, method, std::move(params)))) {
    forget(id, call);
    return Error{rpc::kInternalError, "the upstream server '" + opt_.source + "' is gone"};
  }
  return await_call(call, id, link, method);
}

void Upstream::forget(int64_t id, const std::shared_ptr<Call>& call) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.erase(id);
    if (!call->our_token.empty()) by_token_.erase(call->our_token);
  }
  // Nothing may use the caller's stream after this returns: nested
  // requests are told to stop (they look every 100 ms) and waited for.
  call->nested_cancel.cancel();
  std::unique_lock<std::mutex> lock(call->mu);
  call->finished = true;
  call->cv.wait(lock, [&] { return call->nested == 0; });
}

Result<json> Upstream::await_call(const std::shared_ptr<Call>& call, int64_t id,
                                  const std::shared_ptr<Link>& link, const std::string& method) {
  std::unique_lock<std::mutex> lock(call->mu);
  while (!call->done) {
    if (!call->asks.empty()) {
      lock.unlock();
      return park(call, id, link, method);
    }
    if (call->cancel && call->cancel->cancelled()) {
      lock.unlock();
      forget(id, call);
      link->send(make_notification("notifications/cancelled",
                                   {{"requestId", id}, {"reason", "cancelled by the client"}}));
      return Error{rpc::kRequestTimeout, "the call was cancelled"};
    }
    if (Clock::now() >= call->deadline) {
      lock.unlock();
      forget(id, call);
      link->send(make_notification("notifications/cancelled",
                                   {{"requestId", id}, {"reason", "timed out"}}));
      return Error{rpc::kRequestTimeout, "the upstream server '" + opt_.source +
                                             "' did not answer " + method + " within " +
                                             std::to_string(call->timeout_ms) + " ms"};
    }
    call->cv.wait_for(lock, std::chrono::milliseconds(50));
  }
  json reply = std::move(call->reply);
  lock.unlock();
  forget(id, call);
  if (auto e = reply.find("error"); e != reply.end())
    return error_of(*e, "the upstream server returned an error");
  auto r = reply.find("result");
  if (r == reply.end()) return Error{rpc::kInternalError, "the upstream answer has no result"};
  return std::move(*r);
}

Result<json> Upstream::list_all(const std::string& method, const std::string& key,
                                ForwardContext& ctx) {
  json all = json::array();
  json cursor;
  for (int page = 0; page < kMaxPages; ++page) {
    json params = json::object();
    if (!cursor.is_null()) params["cursor"] = cursor;
    auto r = forward(method, params, ctx);
    if (!r) return r.error();
    if (!r->is_object() || !(*r)[key].is_array())
      return Error{rpc::kInternalError, "the upstream answer to " + method + " has no " + key};
    for (auto& x : (*r)[key]) all.push_back(std::move(x));
    auto next = r->find("nextCursor");
    if (next == r->end() || !next->is_string() || next->get_ref<const std::string&>().empty())
      return all;
    cursor = *next;
  }
  log::warn("upstream list cut off after " + std::to_string(kMaxPages) + " pages",
            {{"source", opt_.source}, {"method", method}});
  return all;
}

void Upstream::on_message(json msg) {
  if (!msg.is_object()) return;
  bool has_method = msg.contains("method") && msg["method"].is_string();
  bool has_id = msg.contains("id") && (msg["id"].is_string() || msg["id"].is_number_integer());
  if (!has_method) {
    if (has_id) on_response(msg);
    return;
  }
  if (has_id) {
    on_request(msg);
    return;
  }
  json params = msg.value("params", json::object());
  on_notification(msg["method"].get<std::string>(), params.is_object() ? params : json::object());
}

void Upstream::on_response(const json& msg) {
  if (!msg["id"].is_number_integer()) return;  // ours are integers
  std::shared_ptr<Call> call;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(msg["id"].get<int64_t>());
    if (it == pending_.end()) return;
    call = it->second;
  }
  call->finish(msg);
}

std::shared_ptr<Upstream::Call> Upstream::target_call() {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<Call> found;
  for (auto& [id, c] : pending_) {
    auto s = c->session.lock();
    if (!s && !(c->stateless && c->stream)) continue;
    // Two sessions, or two stateless clients: ambiguous.
    if (found && (!s || found->session.lock() != s)) return nullptr;
    found = c;  // the latest call of that session
  }
  return found;
}

void Upstream::send_now(const json& msg) {
  std::shared_ptr<Link> link;
  {
    std::lock_guard<std::mutex> lock(mu_);
    link = link_;
  }
  // Queued by the link, never written here: this may be the reader thread.
  if (link) link->send(msg);
}

void Upstream::on_request(const json& msg) {
  const std::string method = msg["method"];
  json id = msg["id"];
  json params = msg.value("params", json::object());
  if (method == "ping") {
    send_now(make_result(id, json::object()));
    return;
  }
  // Only what a client may be asked, and only if this client said it can
  // be asked that.
  const char* capability = method == "sampling/createMessage" ? "sampling"
                           : method == "elicitation/create"   ? "elicitation"
                           : method == "roots/list"           ? "roots"
                                                              : nullptr;
  if (!capability) {
    send_now(make_error(id, rpc::kMethodNotFound, "method not found: " + method));
    return;
  }
  auto call = target_call();
  auto session = call ? call->session.lock() : nullptr;
  if (call && !session && call->stateless) {
    ask_later(call, id, method, params, capability);
    return;
  }
  if (!session) {
    send_now(make_error(id, rpc::kInvalidRequest,
                        method + " is only relayed during a request of a single client session"));
    return;
  }
  if (!session->client_supports(capability)) {
    send_now(make_error(id, rpc::kMethodNotFound,
                        std::string("the client does not support ") + capability));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(call->mu);
    if (call->finished || call->nested >= kMaxNested) {
      send_now(make_error(id, rpc::kInternalError,
                          call->finished ? "the request it belonged to is over"
                                         : "too many requests to the client at once"));
      return;
    }
    ++call->nested;
  }
  // Asking the client can take minutes (a human answers an elicitation):
  // never on the thread that reads the server's messages. The call waits
  // for this thread before it returns, so its stream stays valid here.
  std::weak_ptr<Upstream> weak = weak_from_this();
  std::thread([weak, session, method, params, id, call] {
    auto r = session->request_client(method, params, kNestedRequestTimeoutMs, call->stream,
                                     &call->nested_cancel);
    if (auto self = weak.lock())
      self->send_now(r ? make_result(id, *r) : make_error(id, r.error().code, r.error().message));
    std::lock_guard<std::mutex> lock(call->mu);
    --call->nested;
    call->cv.notify_all();
  }).detach();
}

void Upstream::on_notification(const std::string& method, const json& params) {
  if (method == "notifications/progress") {
    auto t = params.find("progressToken");
    if (t == params.end() || !t->is_string()) return;
    std::shared_ptr<Call> call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = by_token_.find(t->get<std::string>());
      if (it == by_token_.end()) return;
      call = it->second;
    }
    auto session = call->session.lock();
    auto p = params.find("progress");
    if ((!session && !call->stateless) || p == params.end() || !p->is_number()) return;
    // Progress only goes up (the spec asks it); a server that repeats or
    // goes back is not passed on. Progress also keeps the call alive, up to
    // a cap. The lock keeps the call (and its stream) from ending meanwhile.
    std::lock_guard<std::mutex> lock(call->mu);
    if (call->finished || p->get<double>() <= call->last_progress) return;
    call->last_progress = p->get<double>();
    call->deadline =
        std::min(call->latest, Clock::now() + std::chrono::milliseconds(call->timeout_ms));
    json out = params;
    out["progressToken"] = call->client_token;
    if (session)
      session->notify("notifications/progress", std::move(out), call->stream);
    else if (call->stream)
      call->stream->send(make_notification("notifications/progress", std::move(out)));
    return;
  }
  if (method == "notifications/message") {
    if (auto call = target_call()) {
      auto s = call->session.lock();
      std::lock_guard<std::mutex> lock(call->mu);
      if (call->finished) return;
      if (s)
        s->forward_log(params, call->stream);
      else if (call->stream && log_wanted(call->log_level, params))
        call->stream->send(make_notification("notifications/message", params));
      return;
    }
    std::vector<std::shared_ptr<Session>> all;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [k, w] : sessions_)
        if (auto s = w.lock()) all.push_back(s);
    }
    for (auto& s : all) s->forward_log(params, nullptr);
    return;
  }
  if (method == "notifications/resources/updated") {
    auto uri = params.find("uri");
    if (uri == params.end() || !uri->is_string()) return;
    std::vector<std::shared_ptr<Session>> subs;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = subscribers_.find(uri->get<std::string>());
      if (it == subscribers_.end()) return;
      for (auto& [k, w] : it->second)
        if (auto s = w.lock()) subs.push_back(s);
    }
    for (auto& s : subs) s->notify("notifications/resources/updated", {{"uri", *uri}}, nullptr);
    return;
  }
  if (method == "notifications/tools/list_changed" ||
      method == "notifications/resources/list_changed" ||
      method == "notifications/prompts/list_changed") {
    std::string what = method.substr(14, method.find('/', 14) - 14);
    if (opt_.launcher && opt_.launcher->changed) opt_.launcher->changed(what);
    return;
  }
  // notifications/cancelled of a request the server sent us: the nested
  // request times out or ends with its call anyway.
}

void Upstream::on_closed(const std::string& why) {
  std::shared_ptr<Link> dead;
  std::vector<std::shared_ptr<Call>> failed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dead = std::move(link_);
    running_ = false;
    last_error_ = why;
    if (Clock::now() - started_at_ > kHealthyAfter) failures_ = 0;
    ++failures_;
    auto backoff = std::min<Clock::duration>(
        std::chrono::seconds(1LL << std::min(failures_ - 1, 5)), kMaxBackoff);
    next_start_ = Clock::now() + backoff;
    for (auto& [id, c] : pending_) failed.push_back(c);
  }
  for (auto& c : failed) {
    c->finish(make_error(nullptr, rpc::kInternalError,
                         "the upstream server '" + opt_.source + "' stopped: " + why));
  }
  if (dead) dead->close();
}

void Upstream::session_closed(Session& s) {
  std::vector<std::string> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(&s);
    for (auto it = subscribers_.begin(); it != subscribers_.end();) {
      it->second.erase(&s);
      if (it->second.empty()) {
        dropped.push_back(it->first);
        it = subscribers_.erase(it);
      } else {
        ++it;
      }
    }
  }
  // Nobody listens to these any more: the server may stop watching them.
  bool can = capabilities().value("resources", json::object()).value("subscribe", false);
  for (auto& uri : dropped) {
    if (!can) break;
    int64_t id;
    {
      std::lock_guard<std::mutex> lock(mu_);
      id = next_id_++;  // no one waits for the answer: it is dropped on arrival
    }
    send_now(make_request(id, "resources/unsubscribe", {{"uri", uri}}));
  }
}

}  // namespace toolgate::mcp
