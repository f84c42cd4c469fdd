// Finding and killing every descendant of this process. The worker is a
// child subreaper (PR_SET_CHILD_SUBREAPER), so a tool's orphaned children,
// even after setsid() and a double fork, are re-parented to the worker and
// stay reachable here.
//
//   kill_and_reap_all(1000);  // the call is over: nothing of the tool survives it
#pragma once

#include <sys/types.h>

#include <vector>

namespace toolgate::worker {

// SIGKILLs every descendant of this process and reaps them all, retrying
// while new ones appear (a fork loop), for at most `budget_ms`.
// Returns the number of processes killed.
int kill_and_reap_all(int budget_ms);

}  // namespace toolgate::worker
