#include "gateway/transport/elastic_pool.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"

namespace toolgate {
namespace {

// Handlers parse JSON with a depth limit, and validate schemas and print
// documents recursively within those limits; 2 MiB leaves a wide margin
// and keeps the address space (and, under strict overcommit, the commit
// charge) of thousands of threads modest. Only touched pages are resident.
constexpr size_t kStackBytes = 2 * 1024 * 1024;
// Threads beyond the core wait this long for work before they exit.
constexpr auto kIdleExit = std::chrono::seconds(30);

}  // namespace

ElasticPool::ElasticPool(size_t core, size_t max, std::shared_ptr<HttpGauges> gauges)
    : core_(std::max<size_t>(core, 1)), max_(std::max(max, core_)), gauges_(std::move(gauges)) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < core_; ++i) start_thread_locked();
}

ElasticPool::~ElasticPool() { shutdown(); }

bool ElasticPool::start_thread_locked() {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kStackBytes);
  pthread_t t;
  int rc = pthread_create(&t, &attr, &ElasticPool::main_of, this);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    // The connection waits for a busy thread to free up instead.
    if (!warned_.exchange(true))
      log::warn("cannot start another thread; work waits for a free one",
                {{"threads", threads_}, {"errno", rc}});
    return false;
  }
  ++threads_;
  all_.push_back(t);
  publish_locked();
  return true;
}

void ElasticPool::reap_locked() {
  for (pthread_t t : exited_) {
    pthread_join(t, nullptr);
    all_.erase(
        std::remove_if(all_.begin(), all_.end(), [&](pthread_t x) { return pthread_equal(x, t); }),
        all_.end());
  }
  exited_.clear();
}

void ElasticPool::publish_locked() {
  if (!gauges_) return;
  gauges_->threads = threads_;
  gauges_->busy = threads_ - std::min(idle_, threads_);
}

void ElasticPool::enqueue(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return;
  reap_locked();
  q_.push_back(std::move(fn));
  // Every queued connection needs a thread of its own: a connection that
  // waits behind a long-lived stream may wait for the session's lifetime.
  if (idle_ < q_.size() && threads_ < max_) start_thread_locked();
  cv_.notify_one();
}

void* ElasticPool::main_of(void* self) {
  static_cast<ElasticPool*>(self)->run();
  return nullptr;
}

void ElasticPool::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    ++idle_;
    publish_locked();
    bool timed_out = false;
    while (q_.empty() && !stop_ && !timed_out) {
      if (threads_ > core_)
        timed_out = cv_.wait_for(lock, kIdleExit) == std::cv_status::timeout && q_.empty();
      else
        cv_.wait(lock);
    }
    --idle_;
    publish_locked();
    if (q_.empty()) {
      if (stop_) break;
      if (timed_out && threads_ > core_) {
        exited_.push_back(pthread_self());
        break;
      }
      continue;
    }
    auto fn = std::move(q_.front());
    q_.pop_front();
    lock.unlock();
    fn();
    lock.lock();
  }
  --threads_;
  publish_locked();
  cv_.notify_all();  // shutdown() waits for the count to reach zero
}

void ElasticPool::shutdown() {
  std::vector<pthread_t> join;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_ && all_.empty()) return;
    stop_ = true;
    cv_.notify_all();
    join.swap(all_);
    exited_.clear();
  }
  for (pthread_t t : join) pthread_join(t, nullptr);
}

}  // namespace toolgate
