// Runs WorkOrders in worker processes: one fresh process per call
// (workers.mode: per_call), at most `max_concurrent` at once.
//
//   WorkerPool pool(default_worker_path(), 16);
//   WorkResult r = pool.run(order, &cancel, [](int ms) { send_progress(ms); });
//
// The gateway is a child subreaper: processes a killed worker leaves behind
// are re-parented to it, and reap_orphans() kills and reaps them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "toolgate/cancel.h"
#include "toolgate/work.h"

namespace toolgate {

struct PoolStats {
  std::atomic<uint64_t> spawned{0};
  std::atomic<uint64_t> killed{0};  // workers stopped before they answered
  std::atomic<int> active{0};
};

class WorkerPool {
 public:
  WorkerPool(std::string worker_path, int max_concurrent);

  // Called about once a second while a call waits for its worker.
  using Tick = std::function<void(uint64_t elapsed_ms)>;

  // Runs one order. Never throws; every failure is an Outcome.
  WorkResult run(const WorkOrder& order, const CancelToken* cancel, const Tick& tick = nullptr);

  // Kills and reaps any child of the gateway that is not a live worker.
  void reap_orphans();

  const PoolStats& stats() const { return stats_; }
  const std::string& worker_path() const { return worker_path_; }

 private:
  bool acquire(uint64_t wait_ms);
  void release();

  std::string worker_path_;
  int max_concurrent_;
  std::mutex slot_mu_;
  std::condition_variable slot_cv_;
  int in_use_ = 0;

  std::mutex live_mu_;  // spawn+register and reap_orphans are atomic w.r.t. each other
  std::set<int> live_;
  PoolStats stats_;
};

}  // namespace toolgate
