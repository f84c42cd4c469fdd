// `type: mcp` sources: an upstream MCP server (run jailed over stdio) whose
// tools, resources, prompts and completions toolgate serves as its own,
// with policy, validation and audit in front of every call (docs/mcp.md).
//
//   sources:
//     - name: fs
//       type: mcp
//       command: [npx, -y, "@modelcontextprotocol/server-filesystem", /data]
//       env: {ALLOWED: "${FS_TOKEN}"}          # explicit; nothing inherited
//       scope: shared                          # or session: a server per client session
//       sandbox: {egress: {allow: []}, paths: [{path: /data, writable: false}]}
#pragma once

#include "gateway/catalog/adapter.h"

namespace toolgate {

// A proxy: calls are forwarded to the upstream server, never run in a worker.
class McpAdapter : public Adapter, public Proxy {
 public:
  std::vector<Tool> load(const LoadContext& ctx) const override;
  const Proxy* proxy() const override { return this; }
  json call(const Tool& tool, const json& args, ForwardContext& ctx) const override;
};

}  // namespace toolgate
