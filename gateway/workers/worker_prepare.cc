// The pool's prepared workers: preparing them ahead of calls on the
// spawner thread, handing them to calls, and ending them after.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "common/frame.h"
#include "gateway/workers/worker_pool.h"

namespace toolgate {

using Clock = std::chrono::steady_clock;

// Calls with equal keys can share a prepared worker: everything the worker
// sets up before the exec depends on these and nothing else.
std::string WorkerPool::profile_key(const WorkOrder& o) {
  // HTTP and other orders never share a worker: a pooled HTTP worker has
  // handed its contained process over and runs nothing else.
  return dump_safe({o.limits.to_json(), o.sandbox.to_json(), o.cwd, o.direct_http()});
}

namespace {

// A prepared worker that died while waiting (or was killed) shows as hung
// up on its socket. (Readable alone is no sign: a prepared HTTP worker has
// already sent the frame handing its contained process over.)
bool still_alive(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) == 0 || !(p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL));
}
}  // namespace

void WorkerPool::close_warm(const Warm& w) {
  if (w.fd >= 0) ::close(w.fd);
  if (w.direct >= 0) ::close(w.direct);
}

bool WorkerPool::take_warm(const std::string& key, Warm* out) {
  std::lock_guard<std::mutex> lock(warm_mu_);
  auto it = warm_.find(key);
  while (it != warm_.end() && !it->second.empty()) {
    Warm w = it->second.back();
    it->second.pop_back();
    auto pos = std::find(warm_order_.begin(), warm_order_.end(), key);
    if (pos != warm_order_.end()) warm_order_.erase(pos);
    if (still_alive(w.fd) && (w.direct < 0 || still_alive(w.direct))) {
      *out = w;
      return true;
    }
    close_warm(w);
    kill_and_reap(w.pid);
    std::lock_guard<std::mutex> l2(live_mu_);
    live_.erase(w.pid);
  }
  return false;
}

void WorkerPool::request_warm(const std::string& key, const WorkOrder& order) {
  if (prespawn_ <= 0) return;
  {
    std::lock_guard<std::mutex> lock(warm_mu_);
    size_t have = warm_.count(key) ? warm_[key].size() : 0;
    for (auto& [k, o] : to_prepare_) have += k == key;
    if (have >= size_t(prespawn_)) return;
    WorkOrder profile;
    profile.argv = {"-"};  // unused by prepare; the call's order brings the real one
    profile.cwd = order.cwd;
    profile.limits = order.limits;
    profile.sandbox = order.sandbox;
    if (order.direct_http()) profile.http = json::object();
    to_prepare_.emplace_back(key, std::move(profile));
  }
  warm_cv_.notify_one();
}

void WorkerPool::reap_later(const Warm& w) {
  {
    std::lock_guard<std::mutex> lock(warm_mu_);
    to_reap_.emplace_back(Clock::now() + kEndDelay, w);
  }
  warm_cv_.notify_one();
}

void WorkerPool::spawner_loop() {
  // Killed workers not yet reaped. A worker's exit waits for its
  // namespaces to be torn down (an RCU grace period, milliseconds), so they
  // are collected without waiting while the next workers are prepared.
  std::vector<pid_t> dying;
  auto collect = [&](bool wait) {
    for (size_t i = 0; i < dying.size();) {
      pid_t r;
      while ((r = ::waitpid(dying[i], nullptr, wait ? 0 : WNOHANG)) < 0 && errno == EINTR) {
      }
      if (r == 0) {
        ++i;
        continue;
      }
      forget_worker(dying[i]);
      dying.erase(dying.begin() + long(i));
    }
  };
  for (;;) {
    std::pair<std::string, WorkOrder> job;
    bool have_job = false;
    std::vector<Warm> reap;
    {
      std::unique_lock<std::mutex> lock(warm_mu_);
      // Wake for work, for the next worker due to end, and every few
      // milliseconds while killed ones remain to be collected.
      auto due = [&] {
        auto t = Clock::time_point::max();
        for (auto& e : to_reap_) t = std::min(t, e.first);
        return t;
      };
      // A worker queued to end meanwhile changes when to wake: wake for
      // it too, and wait again with the new time.
      const size_t queued = to_reap_.size();
      auto ready = [&] {
        return stopping_ || !to_prepare_.empty() || to_reap_.size() != queued ||
               due() <= Clock::now();
      };
      auto until = std::min(due(), dying.empty() ? Clock::time_point::max()
                                                 : Clock::now() + std::chrono::milliseconds(5));
      if (until == Clock::time_point::max())
        warm_cv_.wait(lock, ready);
      else
        warm_cv_.wait_until(lock, until, ready);
      auto now = Clock::now();
      for (size_t i = 0; i < to_reap_.size();) {
        if (stopping_ || to_reap_[i].first <= now) {
          reap.push_back(to_reap_[i].second);
          to_reap_.erase(to_reap_.begin() + long(i));
        } else {
          ++i;
        }
      }
      if (!stopping_ && !to_prepare_.empty()) {
        job = std::move(to_prepare_.front());
        to_prepare_.erase(to_prepare_.begin());
        have_job = true;
      }
    }
    for (auto& r : reap) {
      close_warm(r);
      ::kill(-r.pid, SIGKILL);
      ::kill(r.pid, SIGKILL);
      dying.push_back(r.pid);
    }
    collect(false);
    {
      std::lock_guard<std::mutex> lock(warm_mu_);
      if (stopping_ && to_reap_.empty()) {
        collect(true);
        return;
      }
    }
    if (!have_job) continue;
    SpawnedWorker w;
    {
      std::lock_guard<std::mutex> lock(live_mu_);
      auto s = spawn_worker(worker_path_);
      if (!s) continue;
      w = *s;
      live_.insert(w.pid);
    }
    stats_.spawned++;
    if (!write_frame(w.fd, dump_safe(json{{"prepare", job.second.to_json()}}))) {
      ::close(w.fd);
      kill_and_reap(w.pid);
      std::lock_guard<std::mutex> lock(live_mu_);
      live_.erase(w.pid);
      continue;
    }
    std::vector<Warm> evicted;
    {
      std::lock_guard<std::mutex> lock(warm_mu_);
      warm_[job.first].push_back({w.pid, w.fd});
      warm_order_.push_back(job.first);
      size_t total = 0;
      for (auto& [k, v] : warm_) total += v.size();
      // Too many idle prepared workers: drop the oldest profiles' first.
      for (size_t i = 0; total > kMaxWarm && i < warm_order_.size();) {
        auto& list = warm_[warm_order_[i]];
        if (!list.empty()) {
          evicted.push_back(list.front());
          list.erase(list.begin());
          --total;
        }
        warm_order_.erase(warm_order_.begin() + long(i));
      }
    }
    for (auto& e : evicted) {
      close_warm(e);
      kill_and_reap(e.pid);
      std::lock_guard<std::mutex> lock(live_mu_);
      live_.erase(e.pid);
    }
  }
}

}  // namespace toolgate
