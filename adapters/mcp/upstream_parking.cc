// A 2026-07-28 client in front of a 2025 server that asks the client
// something (sampling, elicitation, roots) in the middle of a call. The
// 2026 client cannot be asked during its request, so the server's question
// ends that request with input_required, and the server's call waits,
// parked, for the retry. The retry brings the answers (inputResponses) and
// the requestState naming the parked call; the answers go to the server as
// the responses it awaits, and the call goes on under the new request.
//
// The requestState is a random 128-bit key: it names one parked call, for
// the caller, method and tool (or URI) that started it, once, until the
// server's request timeout.
#include <openssl/rand.h>

#include "adapters/mcp/upstream.h"
#include "adapters/mcp/upstream_call.h"
#include "common/log.h"
#include "gateway/protocol/jsonrpc.h"

namespace toolgate::mcp {
namespace {

std::string random_key() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("no randomness for a parked call");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) out += {hex[c >> 4], hex[c & 15]};
  return out;
}

std::string ask_key(size_t i) { return "toolgate_upstream_" + std::to_string(i); }

bool declared(const json& caps, const char* capability) {
  return caps.is_object() && caps.contains(capability) && caps[capability].is_object();
}

}  // namespace

void Upstream::ask_later(const std::shared_ptr<Call>& call, const json& id,
                         const std::string& method, const json& params, const char* capability) {
  if (!declared(call->client_capabilities, capability)) {
    send_now(make_error(id, rpc::kMethodNotFound,
                        std::string("the client does not support ") + capability));
    return;
  }
  std::lock_guard<std::mutex> lock(call->mu);
  if (call->finished) {
    send_now(make_error(id, rpc::kInternalError, "the request it belonged to is over"));
    return;
  }
  call->asks.push_back({id, method, params.is_object() ? params : json::object()});
  call->cv.notify_all();
}

Result<json> Upstream::park(const std::shared_ptr<Call>& call, int64_t id,
                            const std::shared_ptr<Link>& link, const std::string& method) {
  json asks = json::object();
  {
    // The request's stream and cancellation end with this answer: until
    // the retry, nothing is sent for the call, and only its time limit ends it.
    std::lock_guard<std::mutex> lock(call->mu);
    call->stream = nullptr;
    call->cancel = nullptr;
    for (size_t i = 0; i < call->asks.size(); ++i)
      asks[ask_key(i)] = {{"method", call->asks[i].method}, {"params", call->asks[i].params}};
  }
  drop_expired_parked();
  std::string key = random_key();
  {
    std::lock_guard<std::mutex> lock(mu_);
    parked_[key] = Parked{call, id, link, method,
                          Clock::now() + std::chrono::milliseconds(opt_.request_timeout_ms)};
  }
  return json{{"resultType", "input_required"},
              {"inputRequests", std::move(asks)},
              {"requestState", kParkedStatePrefix + key}};
}

Result<json> Upstream::resume(const std::string& key, const std::string& method, const json& params,
                              ForwardContext& ctx) {
  drop_expired_parked();
  Parked p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = parked_.find(key);
    if (it == parked_.end()) {
      return Error{rpc::kInvalidParams,
                   "requestState refused: the call it names is over, or was resumed already"};
    }
    p = std::move(it->second);
    parked_.erase(it);
  }
  std::string target;
  for (const char* k : {"name", "uri"})
    if (params.is_object() && params.value(k, json()).is_string()) target = params[k];
  if (p.call->caller != ctx.caller || p.method != method || p.call->target != target) {
    // Someone else's, or another call's: it is not resumed, and not kept.
    forget(p.id, p.call);
    p.link->send(make_notification("notifications/cancelled",
                                   {{"requestId", p.id}, {"reason", "requestState misused"}}));
    return Error{rpc::kInvalidParams, "requestState refused: it was issued for another call"};
  }
  json answers = ctx.retry.value("inputResponses", json::object());
  std::vector<Call::Ask> unanswered;
  {
    std::lock_guard<std::mutex> lock(p.call->mu);
    for (size_t i = 0; i < p.call->asks.size(); ++i) {
      auto a = answers.is_object() ? answers.find(ask_key(i)) : answers.end();
      if (answers.is_object() && a != answers.end() && a->is_object())
        send_now(make_result(p.call->asks[i].id, *a));
      else
        unanswered.push_back(std::move(p.call->asks[i]));  // asked again at once
    }
    p.call->asks = std::move(unanswered);
    p.call->stream = ctx.stream;
    p.call->cancel = ctx.cancel;
    p.call->log_level = ctx.log_level;
  }
  return await_call(p.call, p.id, p.link, method);
}

void Upstream::drop_expired_parked() {
  std::vector<Parked> expired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = Clock::now();
    for (auto it = parked_.begin(); it != parked_.end();) {
      if (it->second.until > now) {
        ++it;
        continue;
      }
      expired.push_back(std::move(it->second));
      it = parked_.erase(it);
    }
  }
  for (auto& p : expired) {
    forget(p.id, p.call);
    p.link->send(make_notification(
        "notifications/cancelled",
        {{"requestId", p.id}, {"reason", "the client did not come back with its answers"}}));
  }
}

}  // namespace toolgate::mcp
