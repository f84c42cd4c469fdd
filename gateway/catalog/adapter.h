// Adapters turn a configured source into Tools, and a call into a WorkOrder.
// They are translators: no I/O on the call path, no sockets, no secrets in
// anything but the WorkOrder handed to the worker.
//
//   class MyAdapter : public Adapter { ... };
//   registry.add("mine", std::make_unique<MyAdapter>());
//   const Adapter* a = registry.find("mine");
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/work_order.h"
#include "gateway/catalog/catalog.h"
#include "gateway/catalog/upstream.h"
#include "gateway/config/config.h"
#include "gateway/workers/spawn.h"

namespace toolgate {

// Runs one WorkOrder in a worker, under the gateway's sandbox: for the few
// things an adapter must fetch while loading (a spec given as a URL) or
// before a call (an OAuth token). Adapters never do I/O themselves.
using Runner = std::function<WorkResult(WorkOrder)>;
using LoadFetcher = Runner;

// Starts long-lived servers (stdio MCP upstreams) the way the gateway
// starts workers, under its sandbox.
struct Launcher {
  // A worker for one server (WorkerPool::spawn_server), and its end.
  std::function<Result<SpawnedWorker>()> spawn;
  std::function<void(pid_t)> retire;
  // The gateway's isolation with the server's own mounts and egress.
  std::function<SandboxSpec(const SandboxSpec&)> sandbox_for;
  // An upstream's "tools", "resources" or "prompts" changed. May be empty.
  std::function<void(const std::string& what)> changed;
};

struct LoadContext {
  const Config& config;
  const SourceConfig& source;
  const LoadFetcher* fetch = nullptr;  // null: nothing can be fetched
  const Launcher* launcher = nullptr;  // null: no long-lived servers
  // Upstream MCP servers the source federates (resources, prompts).
  std::vector<std::shared_ptr<McpUpstream>>* upstreams = nullptr;
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  // Tools of one source, named as the source names them (the catalog adds
  // prefixes). Throws ConfigError with file:line:col.
  virtual std::vector<Tool> load(const LoadContext& ctx) const = 0;
  // Translates validated arguments into a WorkOrder. Pure.
  virtual Result<WorkOrder> prepare(const Tool& tool, const json& args) const = 0;
  // Turns a worker's result into a CallToolResult. Only called for
  // Outcome::ok and Outcome::tool_error; the gateway words the others.
  virtual json render(const Tool& tool, const WorkResult& result) const = 0;
  // Work needed before prepare(), such as fetching an OAuth token, done
  // through `run` (a worker). `renew`: the last attempt's credential was
  // refused. Returns an error text for the model, or "" to go ahead.
  virtual std::string before_call(const Tool& tool, bool renew, const Runner& run) const {
    return "";
  }
  // Facts for the policy that depend on the arguments (merged over
  // tool.facts) for tools whose facts say "per_call". Pure; null for none.
  virtual json call_facts(const Tool& tool, const json& args) const { return nullptr; }
  // Proxying adapters (type: mcp) answer calls themselves, by forwarding
  // them upstream, instead of handing a WorkOrder to a worker.
  virtual bool proxies() const { return false; }
  virtual json call(const Tool& tool, const json& args, ForwardContext& ctx) const {
    return nullptr;
  }
  // Whether an answer says the credential was refused, so the call is tried
  // once more after before_call(renew = true).
  virtual bool credential_refused(const Tool& tool, const WorkResult& result) const {
    return false;
  }
};

class AdapterRegistry {
 public:
  void add(const std::string& type, std::unique_ptr<Adapter> adapter);
  const Adapter* find(const std::string& type) const;

 private:
  std::map<std::string, std::unique_ptr<Adapter>> adapters_;
};

// Registers every adapter that ships with toolgate (adapters/builtin.cc).
void register_builtin_adapters(AdapterRegistry& registry);

}  // namespace toolgate
