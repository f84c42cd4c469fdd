#include "gateway/protocol/listeners.h"

#include <chrono>
#include <vector>

#include "gateway/protocol/dispatcher.h"
#include "gateway/protocol/envelope.h"
#include "gateway/protocol/jsonrpc.h"

namespace toolgate {
namespace {

constexpr const char* kSubscriptionId = "io.modelcontextprotocol/subscriptionId";

// The filter key that asks for a notification, and the capability that
// must be declared for the gateway to send it.
struct Kind {
  const char* method;
  const char* filter_key;
  const char* capability;
};
constexpr Kind kKinds[] = {
    {"notifications/tools/list_changed", "toolsListChanged", "tools"},
    {"notifications/prompts/list_changed", "promptsListChanged", "prompts"},
    {"notifications/resources/list_changed", "resourcesListChanged", "resources"},
};

bool announces(const json& capabilities, const char* capability) {
  auto c = capabilities.find(capability);
  return c != capabilities.end() && c->is_object() && c->value("listChanged", false);
}

}  // namespace

struct ListenerSet::Listener {
  json id;
  json filter;  // the honoured part of what the client asked for
  ClientStream* stream;
  bool gone = false;  // a send failed: the client went away
};

std::optional<json> ListenerSet::listen(const json& id, const json& params, ClientStream* stream,
                                        const json& capabilities) {
  auto asked = params.find("notifications");
  if (asked == params.end() || !asked->is_object())
    return make_error(id, rpc::kInvalidParams, "params.notifications must be an object");
  if (!stream) return make_error(id, rpc::kInternalError, "subscriptions/listen needs a stream");
  json honoured = json::object();
  for (const Kind& k : kKinds) {
    auto want = asked->find(k.filter_key);
    if (want != asked->end() && want->is_boolean() && want->get<bool>() &&
        announces(capabilities, k.capability))
      honoured[k.filter_key] = true;
  }
  auto me = std::make_shared<Listener>(Listener{id, honoured, stream});
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return make_error(id, rpc::kInternalError, "the gateway is stopping");
    if (listeners_.size() >= kMaxListeners)
      return make_error(id, rpc::kInternalError, "too many open subscriptions; retry later");
    listeners_.push_back(me);
  }
  stream->send(
      make_notification("notifications/subscriptions/acknowledged",
                        {{"notifications", honoured}, {"_meta", {{kSubscriptionId, id}}}}));
  std::unique_lock<std::mutex> lock(mu_);
  while (!closing_ && !me->gone) {
    if (cv_.wait_for(lock, std::chrono::milliseconds(kKeepaliveMs)) == std::cv_status::timeout) {
      lock.unlock();
      bool open = stream->keepalive();
      lock.lock();
      if (!open) me->gone = true;
    }
  }
  bool graceful = closing_ && !me->gone;
  listeners_.remove(me);
  if (!graceful) return std::nullopt;
  return make_result(
      id, {{"resultType", "complete"},
           {"_meta", {{kSubscriptionId, id}, {kMetaServerInfo, Dispatcher::server_info()}}}});
}

void ListenerSet::broadcast(const std::string& method) {
  const char* key = nullptr;
  for (const Kind& k : kKinds)
    if (method == k.method) key = k.filter_key;
  if (!key) return;
  std::vector<std::shared_ptr<Listener>> to;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& l : listeners_)
      if (!l->gone && l->filter.contains(key)) to.push_back(l);
  }
  // Outside the lock: one slow client must not hold up the others. A failed
  // send means the client has gone, and its listen ends.
  std::vector<std::shared_ptr<Listener>> gone;
  for (auto& l : to)
    if (!l->stream->send(make_notification(method, {{"_meta", {{kSubscriptionId, l->id}}}})))
      gone.push_back(l);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& l : gone) l->gone = true;
  cv_.notify_all();
}

void ListenerSet::close_all() {
  std::lock_guard<std::mutex> lock(mu_);
  closing_ = true;
  cv_.notify_all();
}

size_t ListenerSet::count() {
  std::lock_guard<std::mutex> lock(mu_);
  return listeners_.size();
}

}  // namespace toolgate
