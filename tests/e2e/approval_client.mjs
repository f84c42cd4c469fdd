// An MCP client built on the official TypeScript SDK that answers toolgate's
// approval requests (elicitation/create) with a fixed action, then calls a
// tool that a policy rule sends for approval.
//
//   node approval_client.mjs stdio|http <decline|accept> <config-or-url> <toolgate-binary>
// Prints one JSON line: {"asked": <message or null>, "result": <CallToolResult>}.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const [mode, action, target, binary] = process.argv.slice(2);
const client = new Client({ name: "approval-e2e", version: "1.0.0" },
                          { capabilities: { elicitation: {} } });
let asked = null;
client.setRequestHandler(ElicitRequestSchema, async (req) => {
  asked = req.params.message;
  return { action };
});
const transport = mode === "stdio"
  ? new StdioClientTransport({ command: binary, args: ["serve", "-c", target, "--stdio"], stderr: "ignore" })
  : new StreamableHTTPClientTransport(new URL(target));
await client.connect(transport);
const result = await client.callTool({ name: "demo__remove", arguments: { path: "/data/report.txt" } });
console.log(JSON.stringify({ asked, result }));
await client.close();
