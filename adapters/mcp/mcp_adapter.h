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

class McpAdapter : public Adapter {
 public:
  std::vector<Tool> load(const LoadContext& ctx) const override;
  Result<WorkOrder> prepare(const Tool& tool, const json& args) const override;
  json render(const Tool& tool, const WorkResult& result) const override;
  bool proxies() const override { return true; }
  json call(const Tool& tool, const json& args, ForwardContext& ctx) const override;
};

}  // namespace toolgate
