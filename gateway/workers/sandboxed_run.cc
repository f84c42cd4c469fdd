#include "gateway/workers/sandboxed_run.h"

namespace toolgate {

SandboxSpec call_sandbox(const SandboxSpec& base, const SandboxSpec& tool_part) {
  SandboxSpec s = base;
  s.mounts = tool_part.mounts;
  if (tool_part.tmp_mb) s.tmp_mb = tool_part.tmp_mb;
  s.egress = tool_part.egress;
  return s;
}

WorkResult run_sandboxed(WorkerPool& pool, const SandboxSpec& base, WorkOrder order,
                         const CancelToken* cancel, const WorkerPool::Tick& tick, bool prewarm) {
  order.sandbox = call_sandbox(base, order.sandbox);
  return pool.run(order, cancel, tick, prewarm);
}

}  // namespace toolgate
