#include "worker/sandbox/process_tree.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace toolgate::worker {
namespace {

void children_of(pid_t pid, std::vector<pid_t>* out, int depth) {
  if (depth > 64) return;
  std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(task_dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(task_dir + "/" + e->d_name + "/children");
    pid_t c;
    while (f >> c) {
      out->push_back(c);
      children_of(c, out, depth + 1);
    }
  }
  ::closedir(d);
}

}  // namespace

std::vector<pid_t> descendants(pid_t pid) {
  std::vector<pid_t> out;
  children_of(pid, &out, 0);
  return out;
}

int kill_and_reap_all(int budget_ms) {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::milliseconds(budget_ms);
  int killed = 0;
  for (;;) {
    auto procs = descendants(::getpid());
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
