// The HTTP server's threads: a cpp-httplib TaskQueue that grows with demand.
//
// cpp-httplib serves each connection on one thread for its whole life, and
// an open GET stream (SSE) is a connection that lives as long as the
// session. A fixed pool therefore caps the open streams and, once they fill
// it, makes every POST wait behind them. This pool keeps `core` threads
// ready and starts more, up to `max`, whenever a connection arrives with no
// thread idle; threads beyond `core` exit after an idle spell. A blocked
// thread costs its touched stack (a few pages) and a kernel task, so a
// thousand idle streams cost a few megabytes, not a thread model rewrite.
// (The stdio transport runs its tools/call handlers on one too.)
//
//   http.new_task_queue = [g] { return new ElasticPool(16, 4096, g); };
//   pool.enqueue([] { serve_one_connection(); });
#pragma once

#include <httplib.h>
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace toolgate {

// What /metrics shows of the HTTP threads and streams. Shared: cpp-httplib
// owns the pool and destroys it when the server stops.
struct HttpGauges {
  std::atomic<size_t> threads{0}, busy{0};
  std::atomic<int> open_streams{0};
};

class ElasticPool : public httplib::TaskQueue {
 public:
  ElasticPool(size_t core, size_t max, std::shared_ptr<HttpGauges> gauges = nullptr);
  ~ElasticPool() override;

  void enqueue(std::function<void()> fn) override;
  // Runs what is queued, then joins every thread.
  void shutdown() override;

 private:
  static void* main_of(void* self);
  void run();
  bool start_thread_locked();
  void reap_locked();
  void publish_locked();

  const size_t core_, max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  size_t threads_ = 0, idle_ = 0;
  bool stop_ = false;
  std::vector<pthread_t> exited_;  // idle threads that left; joined by reap
  std::vector<pthread_t> all_;
  std::atomic<bool> warned_{false};
  std::shared_ptr<HttpGauges> gauges_;
};

}  // namespace toolgate
