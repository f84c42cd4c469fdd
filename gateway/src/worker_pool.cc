#include "toolgate/worker_pool.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "toolgate/frame.h"
#include "toolgate/log.h"
#include "toolgate/spawn.h"

namespace toolgate {
namespace {

using Clock = std::chrono::steady_clock;

// Time the worker gets beyond the tool's own timeout to kill the tool's
// process tree and send its answer.
constexpr uint64_t kWorkerGraceMs = 2000;

uint64_t elapsed_ms(Clock::time_point since) {
  return uint64_t(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

WorkResult failed(Outcome o, std::string detail) {
  WorkResult r;
  r.outcome = o;
  r.detail = std::move(detail);
  return r;
}

std::vector<int> children_of_self() {
  std::vector<int> out;
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(std::string("/proc/self/task/") + e->d_name + "/children");
    int pid;
    while (f >> pid) out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

}  // namespace

WorkerPool::WorkerPool(std::string worker_path, int max_concurrent)
    : worker_path_(std::move(worker_path)), max_concurrent_(max_concurrent) {}

bool WorkerPool::acquire(uint64_t wait_ms) {
  std::unique_lock<std::mutex> lock(slot_mu_);
  bool ok = slot_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                              [&] { return in_use_ < max_concurrent_; });
  if (ok) ++in_use_;
  return ok;
}

void WorkerPool::release() {
  {
    std::lock_guard<std::mutex> lock(slot_mu_);
    --in_use_;
  }
  slot_cv_.notify_one();
}

void WorkerPool::reap_orphans() {
  std::lock_guard<std::mutex> lock(live_mu_);
  for (int pid : children_of_self()) {
    if (live_.count(pid)) continue;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, WNOHANG);
  }
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

WorkResult WorkerPool::run(const WorkOrder& order, const CancelToken* cancel, const Tick& tick) {
  auto start = Clock::now();
  const uint64_t budget_ms = uint64_t(order.limits.timeout_ms) + kWorkerGraceMs;
  if (!acquire(order.limits.timeout_ms)) {
    return failed(Outcome::spawn_failure, "too many concurrent calls (workers.max_concurrent)");
  }
  struct SlotGuard {
    WorkerPool* p;
    ~SlotGuard() { p->release(); }
  } slot_guard{this};

  SpawnedWorker w;
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    auto s = spawn_worker(worker_path_);
    if (!s) return failed(Outcome::spawn_failure, s.error().message);
    w = *s;
    live_.insert(w.pid);
  }
  stats_.spawned++;
  stats_.active++;

  bool killed_early = true;
  WorkResult result;
  auto finish = [&] {
    ::close(w.fd);
    kill_and_reap(w.pid);
    {
      std::lock_guard<std::mutex> lock(live_mu_);
      live_.erase(w.pid);
    }
    stats_.active--;
    if (killed_early) {
      stats_.killed++;
      reap_orphans();
    }
  };

  if (!write_frame(w.fd, dump_safe(order.to_json()))) {
    result = failed(Outcome::spawn_failure, "the worker did not accept its order");
    finish();
    return result;
  }

  // Wait for the answer, waking once a second for progress and at once on
  // cancellation. Ticks stop once the answer starts to arrive.
  const int cancel_fd = cancel ? cancel->fd() : -1;
  for (;;) {
    uint64_t spent = elapsed_ms(start);
    if (spent >= budget_ms) break;
    int wait = int(std::min<uint64_t>(1000, budget_ms - spent));
    pollfd fds[2] = {{w.fd, POLLIN, 0}, {cancel_fd, POLLIN, 0}};
    int rc = ::poll(fds, cancel_fd >= 0 ? 2 : 1, wait);
    if (rc < 0 && errno != EINTR) break;
    if (cancel && cancel->cancelled()) {
      result = failed(Outcome::cancelled, "cancelled by the client");
      finish();
      return result;
    }
    if (rc > 0 && fds[0].revents) break;
    if (tick) tick(elapsed_ms(start));
  }
  uint64_t spent = elapsed_ms(start);
  int left = spent >= budget_ms ? 0 : int(budget_ms - spent);
  // JSON escaping can grow output; the worker keeps frames under this bound.
  uint64_t cap = order.limits.max_output_bytes * 2 + 65536;
  FrameRead fr = read_frame(w.fd, uint32_t(std::min<uint64_t>(cap, 0xffffffffu)), left, cancel_fd);
  switch (fr.status) {
    case FrameStatus::ok: {
      auto doc = parse_bounded(fr.payload, 80);
      auto parsed = doc ? WorkResult::from_json(*doc, order.limits.max_output_bytes)
                        : Result<WorkResult>(doc.error());
      if (parsed) {
        result = std::move(*parsed);
        killed_early = false;
      } else {
        result = failed(Outcome::protocol_error, parsed.error().message);
      }
      break;
    }
    case FrameStatus::timeout:
      result = failed(Outcome::timeout, "the worker did not answer in time");
      break;
    case FrameStatus::interrupted:
      result = failed(Outcome::cancelled, "cancelled by the client");
      break;
    case FrameStatus::too_large:
      result = failed(Outcome::over_output, "the worker's answer exceeded the frame limit");
      break;
    case FrameStatus::eof:
    case FrameStatus::io_error:
      result = ::access(worker_path_.c_str(), X_OK) != 0
                   ? failed(Outcome::spawn_failure, "worker binary not executable: " + worker_path_)
                   : failed(Outcome::protocol_error, "the worker exited without answering");
      break;
  }
  finish();
  if (result.duration_ms == 0) result.duration_ms = elapsed_ms(start);
  return result;
}

}  // namespace toolgate
