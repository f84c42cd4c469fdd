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
  bool dropped = false;
  {
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
      // Died while prepared: the spawner thread reaps it and removes its
      // cgroups, off this call's path.
      to_reap_.emplace_back(Clock::now(), w);
      dropped = true;
    }
  }
  if (dropped) warm_cv_.notify_one();
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
    profiles_[key] = profile;
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

// Prepared workers that died while waiting (a crash, an operator's kill):
// taken out of the pool, handed to `reap`, and replaced, so that the next
// call neither finds a zombie nor waits for a cold start.
void WorkerPool::drop_dead_warm(std::vector<Warm>& reap) {
  for (auto& [key, list] : warm_) {
    for (size_t i = 0; i < list.size();) {
      const Warm& w = list[i];
      if (still_alive(w.fd) && (w.direct < 0 || still_alive(w.direct))) {
        ++i;
        continue;
      }
      reap.push_back(w);
      list.erase(list.begin() + long(i));
      auto pos = std::find(warm_order_.begin(), warm_order_.end(), key);
      if (pos != warm_order_.end()) warm_order_.erase(pos);
      if (auto p = profiles_.find(key); p != profiles_.end() && prespawn_ > 0)
        to_prepare_.emplace_back(key, p->second);
    }
  }
}

// Waits for work: an order to prepare, workers due to end, killed ones to
// collect, and a look at the prepared ones now and then.
WorkerPool::SpawnerWork WorkerPool::next_spawner_work(bool collecting) {
  SpawnerWork work;
  std::unique_lock<std::mutex> lock(warm_mu_);
  auto due = [&] {
    auto t = Clock::time_point::max();
    for (auto& e : to_reap_) t = std::min(t, e.first);
    return t;
  };
  // A worker queued to end meanwhile changes when to wake: wake for it
  // too, and wait again with the new time.
  const size_t queued = to_reap_.size();
  auto ready = [&] {
    return stopping_ || !to_prepare_.empty() || to_reap_.size() != queued || due() <= Clock::now();
  };
  auto until = due();
  if (collecting) until = std::min(until, Clock::now() + std::chrono::milliseconds(5));
  bool any_warm = !warm_order_.empty();
  if (any_warm) until = std::min(until, Clock::now() + kWarmCheck);
  if (until == Clock::time_point::max())
    warm_cv_.wait(lock, ready);
  else
    warm_cv_.wait_until(lock, until, ready);
  auto now = Clock::now();
  for (size_t i = 0; i < to_reap_.size();) {
    if (stopping_ || to_reap_[i].first <= now) {
      work.reap.push_back(to_reap_[i].second);
      to_reap_.erase(to_reap_.begin() + long(i));
    } else {
      ++i;
    }
  }
  if (any_warm && !stopping_) drop_dead_warm(work.reap);
  if (!stopping_ && !to_prepare_.empty()) {
    work.job = std::move(to_prepare_.front());
    to_prepare_.erase(to_prepare_.begin());
  }
  work.stopping = stopping_ && to_reap_.empty();
  return work;
}

// Starts one prepared worker. The pool keeps at most kMaxWarm: past that,
// the oldest profiles' go first, into `evicted`.
void WorkerPool::prepare_one(const std::pair<std::string, WorkOrder>& job,
                             std::vector<Warm>& evicted) {
  SpawnedWorker w;
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    auto s = spawn_worker(worker_path_);
    if (!s) return;
    w = *s;
    live_.insert(w.pid);
  }
  stats_.spawned++;
  if (!write_frame(w.fd, dump_safe(json{{"prepare", job.second.to_json()}}))) {
    evicted.push_back({w.pid, w.fd});
    return;
  }
  std::lock_guard<std::mutex> lock(warm_mu_);
  warm_[job.first].push_back({w.pid, w.fd});
  warm_order_.push_back(job.first);
  size_t total = 0;
  for (auto& [k, v] : warm_) total += v.size();
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

void WorkerPool::spawner_loop() {
  // Killed workers not yet reaped. A worker's exit waits for its
  // namespaces to be torn down (an RCU grace period, milliseconds), so they
  // are collected without waiting while the next workers are prepared.
  // Every worker that ends goes through here, so forget_worker() removes
  // its cgroups whichever way it ended.
  std::vector<pid_t> dying;
  auto end_all = [&](std::vector<Warm>& ending) {
    for (auto& r : ending) {
      close_warm(r);
      ::kill(-r.pid, SIGKILL);
      ::kill(r.pid, SIGKILL);
      dying.push_back(r.pid);
    }
    ending.clear();
  };
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
    SpawnerWork work = next_spawner_work(!dying.empty());
    end_all(work.reap);
    collect(false);
    if (work.stopping) {
      collect(true);
      return;
    }
    if (!work.job) continue;
    std::vector<Warm> evicted;
    prepare_one(*work.job, evicted);
    end_all(evicted);
  }
}

}  // namespace toolgate
