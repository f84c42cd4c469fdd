#include "worker/sandbox/process_tree.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "common/proc.h"

namespace toolgate::worker {

int kill_and_reap_all(int budget_ms) {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::milliseconds(budget_ms);
  int killed = 0;
  for (;;) {
    auto procs = descendant_pids(::getpid());
    for (pid_t p : procs) {
      // Stop first, so a forking process can't outrun the kill loop.
      ::kill(p, SIGSTOP);
    }
    for (pid_t p : procs) {
      if (::kill(p, SIGKILL) == 0) ++killed;
    }
    // Reap whatever has died; our direct children include re-parented orphans.
    for (;;) {
      pid_t r = ::waitpid(-1, nullptr, WNOHANG | __WALL);
      if (r <= 0) break;
    }
    if (procs.empty()) {
      // Nothing visible; a final blocking-free check for unreaped children.
      if (::waitpid(-1, nullptr, WNOHANG | __WALL) < 0) break;
    }
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(procs.empty() ? 1 : 2));
  }
  return killed;
}

}  // namespace toolgate::worker
