// The one way the gateway runs a WorkOrder: under its generation's
// isolation (config and host support, Snapshot::sandbox), with the order's
// own part filled in. Calls, credential fetches, load-time fetches and
// upstream servers all go through here, so the wiring exists once.
//
//   WorkResult r = run_sandboxed(pool, *snap.sandbox, std::move(order), cancel, tick);
//   order.sandbox = call_sandbox(*snap.sandbox, order.sandbox);   // for a long-lived server
#pragma once

#include "common/cancel.h"
#include "common/work_order.h"
#include "gateway/workers/worker_pool.h"

namespace toolgate {

// `base` with the tool's mounts, /tmp size and egress flag.
SandboxSpec call_sandbox(const SandboxSpec& base, const SandboxSpec& tool_part);

WorkResult run_sandboxed(WorkerPool& pool, const SandboxSpec& base, WorkOrder order,
                         const CancelToken* cancel, const WorkerPool::Tick& tick = nullptr,
                         bool prewarm = true);

}  // namespace toolgate
