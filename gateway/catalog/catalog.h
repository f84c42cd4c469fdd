// The catalog: an immutable snapshot of every tool, built from a Config.
// A reload builds a new snapshot and swaps it in atomically; calls in flight
// keep the snapshot (and the Tool objects) they started with.
//
//   auto cat = Catalog::build(*cfg, registry);   // throws ConfigError
//   const Tool* t = cat->find("notes__add_note");
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/json_limits.h"
#include "common/work_order.h"
#include "gateway/catalog/schema_validator.h"

namespace toolgate {

class AdapterRegistry;
class CredentialHooks;
class Proxy;
class Translator;
class McpUpstream;
struct Config;
struct Launcher;

struct Tool {
  std::string name;        // final catalog name, ^[A-Za-z0-9_-]{1,64}$
  std::string source;      // the source it came from
  std::string local_name;  // the name inside its source
  std::string title;
  std::string description;
  json input_schema;   // always an object schema
  json output_schema;  // null when the tool declares none
  json annotations;    // object or null; untrusted hints
  json route;          // adapter-private: how to run it
  // Adapter-private state shared by a source's tools (a GraphQL schema),
  // kept alive by the catalog snapshot like the tools themselves.
  std::shared_ptr<const void> adapter_data;
  // What the policy may see besides the arguments, set by the adapter:
  // {"http": {"method", "path"}} for OpenAPI, {"graphql": {"operation"}}.
  // With "per_call": true, Translator::call_facts() works some of them out
  // from each call's arguments (a raw GraphQL document's operation).
  json facts = json::object();
  // `expose: discover` sources: their operations are left out of tools/list
  // (`listed` false) and reached through the source's three meta-tools,
  // which the gateway answers itself (`meta`: search_tools, describe_tool,
  // call_tool). A call through call_tool is decided and audited as the
  // target tool, exactly like a direct call.
  bool listed = true;
  std::string meta;
  std::vector<std::string> tags;  // searched by search_tools
  Limits limits;
  std::string pointer;  // JSON pointer of its config, for errors
  std::shared_ptr<const SchemaValidator> input_validator;
  std::shared_ptr<const SchemaValidator> output_validator;  // null without output_schema
  // The roles of the tool's adapter (adapter.h): a translator or a proxy,
  // and credential hooks when its calls need a credential first. Meta-tools
  // (`meta`) are answered by the gateway and have neither.
  const Translator* translator = nullptr;
  const Proxy* proxy = nullptr;
  const CredentialHooks* credentials = nullptr;

  // The MCP Tool object for tools/list.
  json to_mcp() const;
};

class Catalog {
 public:
  static std::shared_ptr<const Catalog> build(
      const Config& cfg, const AdapterRegistry& registry,
      const std::function<WorkResult(WorkOrder)>* fetch = nullptr,
      const Launcher* launcher = nullptr,
      const std::function<SandboxSpec(const SandboxSpec&)>* sandbox_for = nullptr);

  const std::vector<std::shared_ptr<const Tool>>& tools() const { return tools_; }
  const Tool* find(const std::string& name) const;
  std::shared_ptr<const Tool> find_shared(const std::string& name) const;
  // Digest of what clients see; equal digests mean no list_changed is due.
  const std::string& digest() const { return digest_; }
  // Upstream MCP servers, for resources, prompts and completions. The
  // catalog keeps them running: they stop when no snapshot holds them.
  const std::vector<std::shared_ptr<McpUpstream>>& upstreams() const { return upstreams_; }

 private:
  std::vector<std::shared_ptr<McpUpstream>> upstreams_;
  std::vector<std::shared_ptr<const Tool>> tools_;
  std::unordered_map<std::string, size_t> index_;
  std::string digest_;
};

}  // namespace toolgate
