// The open 2025-era sessions, by id: created on initialize, found by the
// Mcp-Session-Id of later requests, ended by DELETE, end of input or idle
// expiry.
//
//   SessionTable sessions;
//   auto s = sessions.create(dispatcher, caller);
//   if (auto found = sessions.find(id)) ...
//   sessions.broadcast("notifications/tools/list_changed");
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "gateway/protocol/session.h"

namespace toolgate {

class SessionTable {
 public:
  std::shared_ptr<Session> create(const Dispatcher& dispatcher, Caller caller);
  std::shared_ptr<Session> find(const std::string& id);
  // Closes and forgets the session; false when there is none by that id.
  bool end(const std::string& id);
  size_t count();
  // Ends sessions idle for longer than `limit`; returns how many.
  size_t expire_idle(std::chrono::milliseconds limit);
  void for_each(const std::function<void(Session&)>& fn);
  // A notification to every initialized session, on its default stream.
  void broadcast(const std::string& method);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
};

}  // namespace toolgate
