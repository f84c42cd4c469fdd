#include "gateway/workers/worker_pool.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "common/frame.h"
#include "common/log.h"
#include "common/proc.h"
#include "gateway/egress/egress.h"
#include "gateway/workers/spawn.h"

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

WorkResult failed(Outcome o, EndReason why, std::string detail) {
  WorkResult r;
  r.outcome = o;
  r.reason = why;
  r.detail = std::move(detail);
  return r;
}

// The hierarchies this process is in, as directories: v2 and the v1
// memory and pids controllers (where call cgroups are made).
std::vector<std::string> own_cgroup_dirs() {
  return call_cgroup_parents(parse_proc_cgroup(read_proc_text("/proc/self/cgroup")));
}

// A worker killed before it could clean up leaves its call cgroup behind;
// remove it by name ("<cgroup_name>-w<worker pid>", see worker/sandbox/cgroup.cc).
// False while a member (e.g. an unreaped zombie) still keeps it busy.
bool remove_worker_cgroups(int worker_pid) {
  const std::string name =
      "toolgate-" + std::to_string(::getpid()) + "-w" + std::to_string(worker_pid);
  bool all_gone = true;
  for (const auto& root : own_cgroup_dirs()) {
    std::string dir = root + "/" + name;
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) continue;
    std::ifstream procs(dir + "/cgroup.procs");
    int p;
    while (procs >> p) ::kill(p, SIGKILL);
    all_gone = false;
  }
  return all_gone;
}

}  // namespace

void broker_connect(const EgressPolicy& egress, const json& req, int worker_fd, int timeout_ms) {
  std::string host = req.is_object() ? req.value("host", "") : "";
  int port = req.is_object() && req.contains("port") && req["port"].is_number_integer()
                 ? req["port"].get<int>()
                 : 0;
  auto fd = egress.connect(host, port, std::max(timeout_ms, 1));
  if (fd) {
    write_frame_with_fd(worker_fd, dump_safe({{"connected", true}}), *fd);
    ::close(*fd);
    log::debug("egress allowed", {{"host", host}, {"port", port}});
  } else {
    write_frame_with_fd(worker_fd,
                        dump_safe({{"connected", false}, {"reason", fd.error().message}}), -1);
    log::info("egress denied", {{"host", host}, {"port", port}, {"reason", fd.error().message}});
  }
}

WorkerPool::WorkerPool(std::string worker_path, int max_concurrent, int prespawn, int recycle_after)
    : worker_path_(std::move(worker_path)),
      max_concurrent_(max_concurrent),
      prespawn_(prespawn),
      recycle_after_(recycle_after) {
  // One long-lived thread forks the prepared workers: PR_SET_PDEATHSIG
  // follows the forking thread, so it must not be a short-lived one.
  spawner_ = std::thread([this] { spawner_loop(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(warm_mu_);
    stopping_ = true;
  }
  warm_cv_.notify_all();
  if (spawner_.joinable()) spawner_.join();
  // The spawner ended every worker queued to end before it stopped; what a
  // call queued after that, and the prepared workers, are ended here.
  for (auto& [due, w] : to_reap_) {
    close_warm(w);
    kill_and_reap(w.pid);
    forget_worker(w.pid);
  }
  for (auto& [key, list] : warm_) {
    for (auto& w : list) {
      close_warm(w);
      kill_and_reap(w.pid);
      forget_worker(w.pid);
    }
  }
}

void WorkerPool::remove_stale_cgroups() {
  // Call cgroups of gateways that are gone ("toolgate-<pid>-w<pid>" whose
  // first pid is not running): empty by now, and nobody else removes them.
  for (const auto& root : own_cgroup_dirs()) {
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(root, ec)) {
      std::string n = e.path().filename().string();
      if (n.rfind("toolgate-", 0) != 0 || n.find("-w") == std::string::npos) continue;
      std::string owner = n.substr(9, n.find('-', 9) - 9);
      if (owner == "probe") owner = n.substr(15, n.find('-', 15) - 15);
      if (owner.empty() || owner.find_first_not_of("0123456789") != std::string::npos) continue;
      int pid = std::stoi(owner);
      if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
      ::rmdir(e.path().c_str());
    }
  }
}

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

Result<SpawnedWorker> WorkerPool::spawn_server() {
  std::lock_guard<std::mutex> lock(live_mu_);
  auto s = spawn_worker(worker_path_, /*broker_socket=*/true);
  if (s) {
    live_.insert(s->pid);
    stats_.spawned++;
  }
  return s;
}

void WorkerPool::retire(pid_t pid) {
  // Its socket is closed: the worker kills its server and removes the
  // cgroup itself. It gets a moment to, then is killed; a cgroup it could
  // not remove is removed here (killing what is left in it).
  bool reaped = false;
  for (int i = 0; i < 100 && !reaped; ++i) {
    reaped = ::waitpid(pid, nullptr, WNOHANG) == pid;
    if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!reaped) kill_and_reap(pid);  // a reaped pid may already be someone else's
  forget_worker(pid);
}

void WorkerPool::forget_worker(pid_t pid) {
  // Its tool died with it and was re-parented to us: reap that too, then
  // the worker's cgroups can go.
  for (int i = 0; i < 200; ++i) {
    reap_orphans();
    if (remove_worker_cgroups(pid)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::lock_guard<std::mutex> lock(live_mu_);
  live_.erase(pid);
}

void WorkerPool::reap_orphans() {
  // Orphans only come to a child subreaper (the gateway makes itself one).
  // Anywhere else (a test or bench embedding a pool) other children are
  // that program's own business.
  int subreaper = 0;
  if (::prctl(PR_GET_CHILD_SUBREAPER, &subreaper) != 0 || !subreaper) return;
  std::lock_guard<std::mutex> lock(live_mu_);
  // Only pids that are not (or no longer) workers: reaping a worker here
  // would free its pid while the pool may still signal it.
  for (pid_t pid : child_pids(::getpid())) {
    if (live_.count(pid)) continue;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, WNOHANG);
  }
}

// One run(): the worker it got, and the steps of the exchange with it.
struct WorkerPool::Call {
  WorkerPool& pool;
  const WorkOrder& order;
  const CancelToken* cancel;
  const Tick& tick;
  // The tool's time starts once it has a slot, not while it queues for one.
  const Clock::time_point start = Clock::now();
  const uint64_t budget_ms = uint64_t(order.limits.timeout_ms) + kWorkerGraceMs;
  const bool pooled;
  const std::string key;
  // U+FFFD and escapes grow text: the answer frame's cap.
  const uint64_t cap = order.limits.max_output_bytes * 6 + 65536;
  SpawnedWorker w;
  Warm warm;
  bool prepared = false, direct = false;
  bool killed_early = true;  // false once the worker answered
  WorkResult result;
  std::optional<EgressPolicy> egress;

  Call(WorkerPool& p, const WorkOrder& o, const CancelToken* c, const Tick& t, bool prewarm)
      : pool(p),
        order(o),
        cancel(c),
        tick(t),
        pooled(prewarm && p.recycle_after_ > 0),
        key(prewarm && (p.prespawn_ > 0 || pooled) ? profile_key(o) : std::string()) {}

  int left_ms() const {
    uint64_t spent = elapsed_ms(start);
    return spent >= budget_ms ? 0 : int(budget_ms - spent);
  }

  // A prepared worker of this profile, or a fresh one. False (with the
  // result set) when none can be started.
  bool get_worker() {
    if (!key.empty() && pool.take_warm(key, &warm)) {
      w = SpawnedWorker{warm.pid, warm.fd};
      prepared = true;
      pool.stats_.warm_hits++;
      return true;
    }
    warm = Warm{};
    std::lock_guard<std::mutex> lock(pool.live_mu_);
    auto s = spawn_worker(pool.worker_path_);
    if (!s) {
      result = failed(Outcome::spawn_failure, EndReason::worker_spawn_failed, s.error().message);
      return false;
    }
    w = *s;
    pool.live_.insert(w.pid);
    pool.stats_.spawned++;
    if (!key.empty()) pool.stats_.warm_misses++;
    return true;
  }

  // The worker is done with this call: back to the pool, ended later, or
  // killed now.
  void finish() {
    // Prepare the next call's worker now that this call is done: preparing
    // it while the call runs would compete with the call for the CPU (and
    // for the kernel's cgroup and namespace locks).
    struct WarmLater {
      WorkerPool& p;
      const std::string& key;
      const WorkOrder& order;
      ~WarmLater() {
        if (!key.empty()) p.request_warm(key, order);
      }
    } warm_later{pool, key, order};
    pool.stats_.active--;
    if (pooled && !killed_early && result.outcome == Outcome::ok &&
        warm.uses + 1 < pool.recycle_after_) {
      // Back to the pool: the worker is already preparing the next call's
      // contained process.
      std::lock_guard<std::mutex> lock(pool.warm_mu_);
      pool.warm_[key].push_back({w.pid, w.fd, warm.uses + 1, warm.direct});
      pool.warm_order_.push_back(key);
      return;
    }
    if (!killed_early) {
      // It answered: the spawner thread closes its sockets and kills it.
      // Doing that here would wake the worker, whose exit (and its
      // contained process's) then runs on this CPU ahead of the answer.
      pool.reap_later({w.pid, w.fd, 0, warm.direct});
      return;
    }
    // Kill now, reap on the spawner thread: a worker's exit waits for its
    // namespaces to be torn down, which the answer need not wait for.
    close_warm({w.pid, w.fd, 0, warm.direct});
    ::kill(-w.pid, SIGKILL);
    ::kill(w.pid, SIGKILL);
    pool.reap_later({w.pid, -1, 0, -1});
    pool.stats_.killed++;
    pool.reap_orphans();
  }

  // The worker hands the socket to its contained process over (a prepared
  // one unasked, a fresh pooled one on its order), or, when that process
  // could not be prepared, answers with a failed result, which is returned.
  FrameRead take_direct_socket() {
    int got = -1;
    FrameRead fr =
        read_frame_with_fd(w.fd, uint32_t(std::min<uint64_t>(cap, 0xffffffffu)), left_ms(), &got);
    if (fr.status == FrameStatus::ok && fr.payload == R"({"direct":true})" && got >= 0) {
      warm.direct = got;
    } else if (got >= 0) {
      ::close(got);
    }
    return fr;
  }

  // Waits for the answer on `chan`, waking once a second for progress and
  // at once on cancellation. Meanwhile the worker (or, direct, its
  // contained process) may ask the egress broker for connections; each is
  // decided against this order's own allow-list. False when the client
  // cancelled (the result says so).
  bool wait_answer(int chan, FrameRead* fr) {
    const int cancel_fd = cancel ? cancel->fd() : -1;
    for (;;) {
      if (left_ms() <= 0) {
        fr->status = FrameStatus::timeout;
        return true;
      }
      pollfd fds[2] = {{chan, POLLIN, 0}, {cancel_fd, POLLIN, 0}};
      int rc = ::poll(fds, cancel_fd >= 0 ? 2 : 1, std::min(1000, left_ms()));
      if (rc < 0 && errno != EINTR) {
        fr->status = FrameStatus::io_error;
        return true;
      }
      if (cancel && cancel->cancelled()) {
        result = failed(Outcome::cancelled, EndReason::client_cancelled, "cancelled by the client");
        return false;
      }
      if (rc > 0 && fds[0].revents) {
        int left = left_ms();
        // Direct, the answer is the contained process's own output: it gets
        // the tool's output limit, as the worker applied it before.
        uint64_t limit = direct ? order.limits.max_output_bytes : cap;
        *fr = read_frame(chan, uint32_t(std::min<uint64_t>(limit, 0xffffffffu)), left, cancel_fd);
        if (fr->status != FrameStatus::ok) return true;
        // Anything but an egress request is the one answer frame.
        if (fr->payload.rfind("{\"connect\":", 0) != 0) return true;
        auto msg = parse_bounded(fr->payload, 8);
        if (!msg || !msg->is_object() || !msg->contains("connect")) return true;
        if (!egress) {
          auto parsed = EgressPolicy::parse(order.egress_allow);
          egress = parsed ? std::move(*parsed) : EgressPolicy();
        }
        broker_connect(*egress, (*msg)["connect"], chan, std::min(left, 10000));
        continue;
      }
      if (tick) tick(elapsed_ms(start));
    }
  }

  // The contained process's answer is the HTTP exchange itself.
  void take_direct_answer(const FrameRead& fr) {
    auto doc = parse_bounded(fr.payload, 64);
    if (!doc) {
      result = failed(Outcome::protocol_error, EndReason::bad_frame,
                      "a malformed answer: " + doc.error().message);
      return;
    }
    result.outcome = Outcome::ok;
    result.exit_code = 0;
    result.stdout_json = std::move(*doc);
    result.stdout_is_json = true;
    killed_early = false;
  }

  // The worker's answer frame, or why there is none.
  void take_answer(const FrameRead& fr) {
    switch (fr.status) {
      case FrameStatus::ok: {
        auto doc = parse_bounded(fr.payload, 80);
        auto parsed = doc ? WorkResult::from_json(*doc, order.limits.max_output_bytes)
                          : Result<WorkResult>(doc.error());
        if (parsed) {
          result = std::move(*parsed);
          killed_early = false;
        } else {
          result = failed(Outcome::protocol_error, EndReason::bad_frame, parsed.error().message);
        }
        return;
      }
      case FrameStatus::timeout:
        result = failed(Outcome::timeout, EndReason::worker_timeout,
                        "the worker did not answer in time");
        return;
      case FrameStatus::interrupted:
        result = failed(Outcome::cancelled, EndReason::client_cancelled, "cancelled by the client");
        return;
      case FrameStatus::too_large:
        result = failed(Outcome::over_output, EndReason::frame_too_large,
                        "the worker's answer exceeded the frame limit");
        return;
      case FrameStatus::eof:
      case FrameStatus::io_error:
        // (A worker binary that cannot be executed fails in spawn_worker.)
        result = failed(Outcome::protocol_error, EndReason::worker_died,
                        "the worker exited without answering");
        return;
    }
  }

  // Order out, answer in. False when the exchange ended without one
  // (order refused, client cancelled); the result says why.
  bool exchange() {
    // HTTP calls go straight to the worker's contained process once the
    // worker has handed its socket over (hand_over_http in the worker): a
    // prepared worker of an HTTP profile does so unasked, a pooled one when
    // its first order comes. A fresh contained process still serves exactly
    // one call in per_call mode: the worker is killed after the answer.
    direct = order.direct_http() && (pooled || prepared);
    if (!direct || (warm.direct < 0 && !prepared)) {
      WorkOrder sent = order;
      sent.keep_worker = pooled;
      if (!write_frame(w.fd, dump_safe(sent.to_json()))) {
        result = failed(Outcome::spawn_failure, EndReason::worker_unreachable,
                        "the worker did not accept its order");
        return false;
      }
    }
    FrameRead fr;
    if (direct && warm.direct < 0) fr = take_direct_socket();
    const int chan = direct ? warm.direct : w.fd;
    if (direct && chan >= 0 &&
        !write_frame(chan,
                     dump_safe({{"http", order.http}, {"timeout_ms", order.limits.timeout_ms}}))) {
      fr.status = FrameStatus::eof;
    } else if (chan >= 0 && !wait_answer(chan, &fr)) {
      return false;
    }
    if (direct && warm.direct >= 0 && fr.status == FrameStatus::ok) {
      take_direct_answer(fr);
    } else {
      take_answer(fr);
    }
    return true;
  }
};

WorkResult WorkerPool::run(const WorkOrder& order, const CancelToken* cancel, const Tick& tick,
                           bool prewarm) {
  if (!acquire(order.limits.timeout_ms)) {
    return failed(Outcome::spawn_failure, EndReason::no_worker_slot,
                  "too many concurrent calls (workers.max_concurrent)");
  }
  struct SlotGuard {
    WorkerPool* p;
    ~SlotGuard() { p->release(); }
  } slot_guard{this};
  Call call(*this, order, cancel, tick, prewarm);
  if (!call.get_worker()) return call.result;
  stats_.active++;
  const bool answered = call.exchange();
  call.finish();
  if (answered && call.result.duration_ms == 0) call.result.duration_ms = elapsed_ms(call.start);
  return call.result;
}

}  // namespace toolgate
