// Runs one tool command under the worker's supervision: feeds stdin, caps
// stdout/stderr, enforces the wall clock, kills the whole process tree when
// the tool ends, and classifies the end as an Outcome.
#pragma once

#include "toolgate/work.h"

namespace toolgate::worker {

WorkResult run_exec(const WorkOrder& order);

}  // namespace toolgate::worker
