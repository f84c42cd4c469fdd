// One config generation: what a request needs from the config, taken
// together so that a reload in between cannot mix generations. A reload
// builds a new Snapshot; requests in flight keep the one they started with.
//
//   Snapshot snap = generations.current();
//   const Tool* t = snap.catalog->find(name);
//   run_sandboxed(pool, *snap.sandbox, order, cancel);   // this generation's isolation
#pragma once

#include <memory>

#include "common/work_order.h"

namespace toolgate {

struct Config;
class Catalog;
class Policy;
class AuditLog;

struct Snapshot {
  std::shared_ptr<const Config> config;
  std::shared_ptr<const Catalog> catalog;
  std::shared_ptr<const Policy> policy;
  std::shared_ptr<AuditLog> audit;  // null: no audit log configured
  // The isolation every call of this generation gets: what its config
  // enables and the host allows (base_sandbox in sandbox_probe.h).
  std::shared_ptr<const SandboxSpec> sandbox;
};

}  // namespace toolgate
