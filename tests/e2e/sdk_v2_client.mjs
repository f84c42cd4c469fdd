// An MCP client built on the official TypeScript SDK v2
// (@modelcontextprotocol/client) that drives toolgate in one protocol era
// over one transport: it lists the tools, calls one, then calls a tool that
// a policy rule sends for approval twice, declining the first approval and
// accepting the second through its elicitation/create handler. On 2025-11-25
// toolgate asks with a real elicitation/create request; on 2026-07-28 it
// answers with an input_required result, which the SDK fulfils through the
// same handler and retries.
//
//   node sdk_v2_client.mjs stdio|http 2026|2025 <config-or-url> <toolgate-binary>
// Prints one line per step, "<step> <JSON>":
//   connect   {version, era, sessionId}
//   tools     [tool names]
//   echo      <CallToolResult>
//   decline   {asked: <message or null>, result: <CallToolResult>}
//   accept    {asked: <message or null>, result: <CallToolResult>}
//   discover  <DiscoverResult or null>
//   sent      [every JSON-RPC message the client sent, in order]
//   received  [every JSON-RPC message the client received, in order]
//   http      [{method, headers} of every HTTP POST], HTTP only
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

const [mode, era, target, binary] = process.argv.slice(2);
const client = new Client(
  { name: "sdk-v2-e2e", version: "1.0.0" },
  {
    capabilities: { elicitation: { form: {} } },
    // The v2 client speaks 2025 unless told otherwise; the pin makes it probe
    // with server/discover and fail loudly unless 2026-07-28 is offered.
    versionNegotiation: { mode: era === "2026" ? { pin: "2026-07-28" } : "legacy" },
  },
);
let asked = null;
let action = null;
client.setRequestHandler("elicitation/create", async (req) => {
  asked = req.params.message;
  return { action };
});

const sent = [];
const received = [];
const posts = [];
const transport = mode === "stdio"
  ? new StdioClientTransport({ command: binary, args: ["serve", "-c", target, "--stdio"], stderr: "ignore" })
  : new StreamableHTTPClientTransport(new URL(target), {
      fetch: async (url, init) => {
        if ((init?.method ?? "GET") === "POST")
          posts.push({ method: JSON.parse(init.body).method ?? null,
                       headers: Object.fromEntries(new Headers(init.headers).entries()) });
        return fetch(url, init);
      },
    });
// Record the wire: every message the client sends and receives. (The instance's send, not
// a subclass: the SDK treats the base stdio transport specially.)
const send = transport.send.bind(transport);
transport.send = (message, options) => {
  sent.push(message);
  return send(message, options);
};
let onmessage;
const recv = (message, extra) => {
  received.push(message);
  return onmessage?.(message, extra);
};
Object.defineProperty(transport, "onmessage", {
  configurable: true,
  get: () => (onmessage ? recv : undefined),
  set: (f) => { onmessage = f; },
});

const out = (step, value) => console.log(`${step} ${JSON.stringify(value)}`);
await client.connect(transport);
out("connect", { version: client.getNegotiatedProtocolVersion() ?? null, era: client.getProtocolEra() ?? null,
                 sessionId: transport.sessionId ?? null });
out("tools", (await client.listTools()).tools.map((t) => t.name));
out("echo", await client.callTool({ name: "demo__echo", arguments: { message: "hello from SDK v2" } }));
for (const a of ["decline", "accept"]) {
  asked = null;
  action = a;
  const result = await client.callTool({ name: "demo__remove", arguments: { path: "/data/report.txt" } });
  out(a, { asked, result });
}
out("discover", client.getDiscoverResult() ?? null);
out("sent", sent);
out("received", received);
if (mode === "http") out("http", posts);
await client.close();
