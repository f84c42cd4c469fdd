// Runs WorkOrders in worker processes: one fresh process per call
// (workers.mode: per_call), at most `max_concurrent` at once.
//
// Fresh, but not cold: after a call of some isolation profile (its limits,
// sandbox and cwd), `prespawn` workers of that profile are started in the
// background and each sets up its contained tool process up to the exec.
// The next call of that profile takes one and only pays for the exec. Each
// worker still serves exactly one call. For HTTP profiles the prepared
// contained process is already serving and its socket is in the gateway's
// hands: the call's request goes straight to it (WorkOrder::direct_http).
//
//   WorkerPool pool(default_worker_path(), 16, /*prespawn=*/1);
//   WorkResult r = pool.run(order, &cancel, [](int ms) { send_progress(ms); });
//
// The gateway is a child subreaper: processes a killed worker leaves behind
// are re-parented to it, and reap_orphans() kills and reaps them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/cancel.h"
#include "common/work_order.h"
#include "gateway/workers/spawn.h"

namespace toolgate {

class EgressPolicy;

// Answers one egress request ({"host", "port"}) of a worker on `worker_fd`:
// a connected socket (SCM_RIGHTS), or why not.
void broker_connect(const EgressPolicy& egress, const json& req, int worker_fd, int timeout_ms);

struct PoolStats {
  std::atomic<uint64_t> spawned{0};
  std::atomic<uint64_t> killed{0};  // workers stopped before they answered
  std::atomic<int> active{0};
  std::atomic<uint64_t> warm_hits{0};    // calls served by a prepared worker
  std::atomic<uint64_t> warm_misses{0};  // calls that had to spawn on the spot
};

class WorkerPool {
 public:
  // `recycle_after` > 0 selects pooled mode: a worker that answered `ok`
  // serves further calls of its profile, up to that many, then is replaced.
  WorkerPool(std::string worker_path, int max_concurrent, int prespawn = 0, int recycle_after = 0);
  ~WorkerPool();

  // Called about once a second while a call waits for its worker.
  using Tick = std::function<void(uint64_t elapsed_ms)>;

  // Runs one order. Never throws; every failure is an Outcome. With
  // `prewarm`, a worker for the next call of the same profile is prepared.
  WorkResult run(const WorkOrder& order, const CancelToken* cancel, const Tick& tick = nullptr,
                 bool prewarm = true);

  // A worker for a long-lived server (WorkOrder::serve), with a broker
  // socket of its own. It counts as live (reap_orphans() leaves it alone)
  // until retire(), which kills and reaps it.
  Result<SpawnedWorker> spawn_server();
  void retire(pid_t pid);

  // Kills and reaps any child of the gateway that is not a live worker.
  void reap_orphans();
  // Removes call cgroups left by gateways that died (startup housekeeping).
  static void remove_stale_cgroups();

  const PoolStats& stats() const { return stats_; }
  const std::string& worker_path() const { return worker_path_; }

 private:
  struct Call;  // one run(): its worker and the steps of the exchange (worker_pool.cc)
  bool acquire(uint64_t wait_ms);
  // After a worker is reaped: its leftovers and cgroups go, and it stops
  // counting as live.
  void forget_worker(pid_t pid);
  void release();

  std::string worker_path_;
  int max_concurrent_;
  std::mutex slot_mu_;
  std::condition_variable slot_cv_;
  int in_use_ = 0;

  // Prepared workers, by profile key.
  struct Warm {
    int pid;
    int fd;
    int uses = 0;     // calls served so far (pooled mode)
    int direct = -1;  // pooled HTTP: the socket to the worker's contained process
  };
  static void close_warm(const Warm& w);
  static std::string profile_key(const WorkOrder& o);
  bool take_warm(const std::string& key, Warm* out);
  void request_warm(const std::string& key, const WorkOrder& order);
  void spawner_loop();
  struct SpawnerWork {
    std::optional<std::pair<std::string, WorkOrder>> job;
    std::vector<Warm> reap;
    bool stopping = false;
  };
  SpawnerWork next_spawner_work(bool collecting);
  void drop_dead_warm(std::vector<Warm>& reap);
  void prepare_one(const std::pair<std::string, WorkOrder>& job, std::vector<Warm>& evicted);
  // Closes the worker's sockets (if any left), kills and reaps it, on the
  // spawner thread.
  void reap_later(const Warm& w);

  std::mutex live_mu_;  // spawn+register and reap_orphans are atomic w.r.t. each other
  std::set<int> live_;
  PoolStats stats_;

  const int prespawn_;
  const int recycle_after_;
  static constexpr size_t kMaxWarm = 32;  // prepared workers kept at most, oldest evicted
  std::mutex warm_mu_;
  std::condition_variable warm_cv_;
  std::map<std::string, std::vector<Warm>> warm_;
  std::vector<std::string> warm_order_;  // keys in order of preparation, for eviction
  std::vector<std::pair<std::string, WorkOrder>> to_prepare_;
  std::map<std::string, WorkOrder> profiles_;  // by key: what replaces a prepared worker that died
  // How often the spawner looks for prepared workers that died waiting.
  static constexpr std::chrono::milliseconds kWarmCheck{200};
  // Workers to end, off the call's path, each not before its time: a
  // worker's exit (and its contained process's: memory, namespaces) is
  // milliseconds of kernel work, which should not compete with sending the
  // answer it just gave.
  static constexpr std::chrono::milliseconds kEndDelay{3};
  std::vector<std::pair<std::chrono::steady_clock::time_point, Warm>> to_reap_;
  bool stopping_ = false;
  std::thread spawner_;
};

}  // namespace toolgate
