// Calls tools through `toolgate serve --stdio` with the official TypeScript
// SDK client and prints the results as one JSON array.
//
//   node call_tools.mjs <toolgate-binary> <config> <calls.json>
// calls.json: [{"tool": "...", "args": {...}}, ...]
import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [binary, config, callsFile] = process.argv.slice(2);
const calls = JSON.parse(readFileSync(callsFile, "utf8"));
const client = new Client({ name: "call-tools-e2e", version: "1.0.0" });
await client.connect(new StdioClientTransport({
  command: binary, args: ["serve", "-c", config, "--stdio"], stderr: "ignore",
}));
const out = [];
for (const c of calls) {
  out.push({ tool: c.tool, result: await client.callTool({ name: c.tool, arguments: c.args }) });
}
console.log(JSON.stringify(out));
await client.close();
