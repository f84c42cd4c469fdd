#include "gateway/protocol/session_table.h"

#include <vector>

#include "gateway/identity/random_id.h"

namespace toolgate {

std::shared_ptr<Session> SessionTable::create(const Dispatcher& dispatcher, Caller caller) {
  auto s = std::make_shared<Session>(dispatcher, random_hex_id(16), std::move(caller));
  std::lock_guard<std::mutex> lock(mu_);
  sessions_[s->id()] = s;
  return s;
}

std::shared_ptr<Session> SessionTable::find(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

bool SessionTable::end(const std::string& id) {
  std::shared_ptr<Session> s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    s = it->second;
    sessions_.erase(it);
  }
  s->close();
  return true;
}

size_t SessionTable::count() {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

size_t SessionTable::expire_idle(std::chrono::milliseconds limit) {
  auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<Session>> expired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (now - it->second->last_active() > limit) {
        expired.push_back(it->second);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  // Outside the lock: closing a session stops its upstream servers.
  for (auto& s : expired) s->close();
  return expired.size();
}

void SessionTable::for_each(const std::function<void(Session&)>& fn) {
  std::vector<std::shared_ptr<Session>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, s] : sessions_) all.push_back(s);
  }
  for (auto& s : all) fn(*s);
}

void SessionTable::broadcast(const std::string& method) {
  for_each([&](Session& s) {
    if (s.initialized()) s.notify(method, nullptr, nullptr);
  });
}

}  // namespace toolgate
