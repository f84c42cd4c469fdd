// Adapters turn a configured source into Tools, and implement only the
// roles their tools need:
//   Translator       a call becomes a WorkOrder, run in a worker, and the
//                    worker's result becomes a CallToolResult (script,
//                    OpenAPI, GraphQL). Pure: no I/O, no sockets.
//   Proxy            a call is forwarded to an upstream server that answers
//                    it (type: mcp).
//   CredentialHooks  a credential the call needs is obtained first, in a
//                    worker, and renewed once when the upstream refuses it
//                    (OpenAPI OAuth2).
// The catalog stores each tool's roles on the Tool (translator, proxy,
// credentials); the call pipeline enters each role in its own step.
//
//   class MyAdapter : public Adapter, public Translator {
//     std::vector<Tool> load(const LoadContext& ctx) const override;
//     const Translator* translator() const override { return this; }
//     Result<WorkOrder> prepare(const Tool&, const json& args) const override;
//     json render(const Tool&, const WorkResult&) const override;
//   };
//   registry.add("mine", std::make_unique<MyAdapter>());
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

// Runs one WorkOrder in a worker, under the generation's sandbox: for the
// few things an adapter must fetch while loading (a spec given as a URL) or
// before a call (an OAuth token). Adapters never do I/O themselves.
using Runner = std::function<WorkResult(WorkOrder)>;
using LoadFetcher = Runner;
// The isolation of the generation being loaded, with an order's own part
// (mounts, /tmp, egress) filled in: call_sandbox(generation's base, part).
using SandboxFor = std::function<SandboxSpec(const SandboxSpec& part)>;

// Starts long-lived servers (stdio MCP upstreams) the way the gateway
// starts workers. Their isolation is fixed at load (LoadContext::sandbox_for).
struct Launcher {
  // A worker for one server (WorkerPool::spawn_server), and its end.
  std::function<Result<SpawnedWorker>()> spawn;
  std::function<void(pid_t)> retire;
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
  // The generation's isolation with a server's own part filled in, for
  // orders fixed at load (upstream servers); null where nothing runs.
  const SandboxFor* sandbox_for = nullptr;
};

class Translator {
 public:
  virtual ~Translator() = default;
  // Translates validated arguments into a WorkOrder. Pure.
  virtual Result<WorkOrder> prepare(const Tool& tool, const json& args) const = 0;
  // Turns a worker's result into a CallToolResult. Only called for
  // Outcome::ok and Outcome::tool_error; the gateway words the others.
  virtual json render(const Tool& tool, const WorkResult& result) const = 0;
  // Facts for the policy that depend on the arguments (merged over
  // tool.facts) for tools whose facts say "per_call". Pure; null for none.
  virtual json call_facts(const Tool& tool, const json& args) const { return nullptr; }
};

class Proxy {
 public:
  virtual ~Proxy() = default;
  // Forwards the call upstream and returns its CallToolResult (or, in
  // 2026-07-28, an input_required result); null when the call was
  // cancelled; {"error": {code, message, data}} when the upstream refused
  // the request itself (a protocol error the client must see as one).
  virtual json call(const Tool& tool, const json& args, ForwardContext& ctx) const = 0;
};

class CredentialHooks {
 public:
  virtual ~CredentialHooks() = default;
  // Gets the credential the call needs ready, through `run` (a worker).
  // `renew`: the last attempt's credential was refused. Returns an error
  // text for the model, or "" to go ahead.
  virtual std::string obtain(const Tool& tool, bool renew, const Runner& run) const = 0;
  // Whether an answer says the credential was refused, so the call is tried
  // once more after obtain(renew = true).
  virtual bool refused(const Tool& tool, const WorkResult& result) const = 0;
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  // Tools of one source, named as the source names them (the catalog adds
  // prefixes). Throws ConfigError with file:line:col.
  virtual std::vector<Tool> load(const LoadContext& ctx) const = 0;
  // The roles this adapter's tools have; null for those it has not.
  virtual const Translator* translator() const { return nullptr; }
  virtual const Proxy* proxy() const { return nullptr; }
  virtual const CredentialHooks* credentials() const { return nullptr; }
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

// The policy facts of one call: the tool's own, with what its translator
// works out from the arguments for "per_call" tools.
json per_call_facts(const Tool& tool, const json& args);

}  // namespace toolgate
