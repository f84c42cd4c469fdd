// The tool's view of the file system: a fresh tmpfs root holding read-only
// bind mounts of only what tools need, a new /proc, a minimal /dev and a
// private, size-capped /tmp. Runs in the tool's new mount namespace.
//
//   const char* step = nullptr;
//   if (enter_minimal_root(spec, sandbox_staging_dir(), &step) != 0) fail(step);
#pragma once

#include "common/work_order.h"

namespace toolgate::worker {

// Builds the root under `staging` (an empty directory that exists on the
// host) and pivot_roots into it. Returns 0 or an errno; `*step` names the
// operation that failed.
int enter_minimal_root(const SandboxSpec& spec, const char* staging, const char** step);

// The staging directory the worker uses (created on first use).
const char* sandbox_staging_dir();

}  // namespace toolgate::worker
