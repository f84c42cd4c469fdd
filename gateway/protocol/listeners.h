// subscriptions/listen (MCP 2026-07-28): with no session and no GET stream,
// a client that wants to hear about list changes keeps one request open.
// The gateway acknowledges the filter it honours, then sends each matching
// notification on that request's stream, tagged with the subscription id
// (the request's id), until the client goes away or the gateway stops.
//
//   ListenerSet listeners;
//   auto reply = listeners.listen(id, params, stream, declared);  // blocks
//   listeners.broadcast("notifications/tools/list_changed");      // any thread
//   listeners.close_all();                                         // shutdown
#pragma once

#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/json_limits.h"
#include "gateway/protocol/client_stream.h"

namespace toolgate {

class ListenerSet {
 public:
  static constexpr size_t kMaxListeners = 1024;
  static constexpr int kKeepaliveMs = 15000;

  // Serves one subscriptions/listen request until its stream ends (nothing
  // to answer) or close_all (the graceful-close result). `capabilities`
  // says which list changes the gateway announces at all.
  std::optional<json> listen(const json& id, const json& params, ClientStream* stream,
                             const json& capabilities);
  // A list-changed notification to every listener whose filter asks for it.
  void broadcast(const std::string& method);
  // Ends every listen with its graceful-close result.
  void close_all();
  size_t count();

 private:
  struct Listener;
  std::mutex mu_;
  std::condition_variable cv_;
  std::list<std::shared_ptr<Listener>> listeners_;
  bool closing_ = false;
};

}  // namespace toolgate
