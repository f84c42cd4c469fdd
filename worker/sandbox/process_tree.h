// Finding and killing every descendant of this process. The worker is a
// child subreaper (PR_SET_CHILD_SUBREAPER), so a tool's orphaned children,
// even after setsid() and a double fork, are re-parented to the worker and
// stay reachable here.
#pragma once

#include <sys/types.h>

#include <vector>

namespace toolgate::worker {

// Direct and indirect children of `pid`, read from /proc/<pid>/task/*/children.
std::vector<pid_t> descendants(pid_t pid);

// SIGKILLs every descendant of this process and reaps them all, retrying
// while new ones appear (a fork loop), for at most `budget_ms`.
// Returns the number of processes killed.
int kill_and_reap_all(int budget_ms);

}  // namespace toolgate::worker
