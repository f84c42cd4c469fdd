#!/usr/bin/env node
// Fixture MCP server for the official conformance suite (npm
// @modelcontextprotocol/conformance): it offers every tool, resource, prompt
// and utility the suite's server scenarios exercise, after the suite's own
// examples/servers/typescript/everything-server.ts.
//
//   node fixture_server.mjs --port N   Streamable HTTP at http://127.0.0.1:N/mcp
//                                      (N = 0: any free port); prints one line
//                                      "listening PORT" on stdout once ready
//   node fixture_server.mjs --stdio    the same server over stdio
//   node fixture_server.mjs --port N --legacy-sse
//                                      the legacy HTTP+SSE transport (2024-11-05)
//
// Bare imports resolve next to the script, so run a copy placed inside
// tests/npm/. The low-level SDK Server (not McpServer) keeps input schemas
// verbatim in tools/list, as the json-schema-2020-12 scenario requires, and
// needs nothing beyond the SDK. Diagnostics go to stderr only.
import { randomUUID } from "node:crypto";
import { createServer as createHttpServer } from "node:http";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import {
  CallToolRequestSchema, CompleteRequestSchema, CreateMessageResultSchema, ElicitResultSchema,
  ErrorCode, GetPromptRequestSchema, ListPromptsRequestSchema, ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema, ListToolsRequestSchema, LoggingLevelSchema, McpError,
  ReadResourceRequestSchema, SetLevelRequestSchema, SubscribeRequestSchema,
  UnsubscribeRequestSchema, isInitializeRequest,
} from "@modelcontextprotocol/sdk/types.js";

// A 1x1 red RGB PNG and a one-sample 8 kHz 16-bit mono PCM WAV.
const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
const WAV_BASE64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQIAAAAAAA==";

// The spec's error code for resources/read of an unknown URI (not in ErrorCode).
const RESOURCE_NOT_FOUND = -32002;
const WATCHED_URI = "test://watched-resource";
const WATCHED_PERIOD_MS = 3000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (value) => ({ type: "text", text: value });
const image = { type: "image", data: PNG_BASE64, mimeType: "image/png" };
const embedded = (uri, mimeType, body) => ({
  type: "resource",
  resource: { uri, mimeType, text: body },
});
const userMessage = (content) => ({ role: "user", content });
const toolResult = (...content) => ({ content });
const objectSchema = (properties, required = []) => ({ type: "object", properties, required });
const describedString = (description) => ({ type: "string", description });

// Tool arguments are not validated by the low-level Server. A bad one is
// reported as a tool execution error, as the 2025-11-25 spec asks.
function requireString(args, name) {
  if (typeof args[name] !== "string") throw new Error(`Argument '${name}' must be a string`);
  return args[name];
}

async function requestElicitation({ server, extra }, message, requestedSchema) {
  if (!server.getClientCapabilities()?.elicitation) {
    throw new Error("The client does not support elicitation");
  }
  // extra.sendRequest ties the request to the tools/call, so over HTTP it
  // travels on that call's SSE stream rather than the optional GET stream.
  const result = await extra.sendRequest(
    { method: "elicitation/create", params: { message, requestedSchema } },
    ElicitResultSchema,
  );
  return `action=${result.action}, content=${JSON.stringify(result.content ?? {})}`;
}

// Enum options with titles, as SEP-1330's titled single and multi selects use.
const titled = (...titles) => titles.map((title, i) => ({ const: `value${i + 1}`, title }));

const TOOLS = [
  {
    name: "test_simple_text",
    description: "Returns a simple text content block",
    call: async () => toolResult(text("This is a simple text response for testing.")),
  },
  {
    name: "test_image_content",
    description: "Returns an image content block (1x1 PNG)",
    call: async () => toolResult(image),
  },
  {
    name: "test_audio_content",
    description: "Returns an audio content block (tiny WAV)",
    call: async () => toolResult({ type: "audio", data: WAV_BASE64, mimeType: "audio/wav" }),
  },
  {
    name: "test_embedded_resource",
    description: "Returns an embedded text resource",
    call: async () =>
      toolResult(
        embedded("test://embedded-resource", "text/plain", "This is an embedded resource content."),
      ),
  },
  {
    name: "test_multiple_content_types",
    description: "Returns text, image and embedded resource content together",
    call: async () =>
      toolResult(
        text("Multiple content types test:"),
        image,
        embedded("test://mixed-content-resource", "application/json", '{"test":"data","value":1}'),
      ),
  },
  {
    name: "test_tool_with_logging",
    description: "Sends three info log notifications while it runs",
    call: async (_args, { log }) => {
      await log("info", "Tool execution started");
      await sleep(50);
      await log("info", "Tool processing data");
      await sleep(50);
      await log("info", "Tool execution completed");
      return toolResult(text("Tool with logging executed successfully"));
    },
  },
  {
    name: "test_tool_with_progress",
    description: "Reports progress 0, 50 and 100 of 100 when given a progress token",
    call: async (_args, { extra }) => {
      const progressToken = extra._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (progress > 0) await sleep(50);
        if (progressToken === undefined) continue;
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken, progress, total: 100, message: `Step ${progress} of 100` },
        });
      }
      return toolResult(text("Tool with progress executed successfully"));
    },
  },
  {
    name: "test_error_handling",
    description: "Always fails with a tool execution error",
    call: async () => {
      throw new Error("This tool intentionally returns an error for testing");
    },
  },
  {
    name: "test_reconnection",
    description: "Closes its SSE stream mid-call; the result arrives after the client reconnects",
    call: async (_args, { extra }) => {
      // SEP-1699 polling. The SDK offers closeSSEStream only when the client
      // can resume (event store configured, protocol >= 2025-11-25, so it got
      // a priming event id); other clients keep the stream and get the result
      // on it rather than losing it.
      extra.closeSSEStream?.();
      await sleep(100);
      return toolResult(text("Reconnection test completed successfully"));
    },
  },
  {
    name: "test_sampling",
    description: "Asks the client to sample an LLM completion for the prompt",
    inputSchema: objectSchema({ prompt: describedString("The prompt for the LLM") }, ["prompt"]),
    call: async (args, { server, extra }) => {
      const prompt = requireString(args, "prompt");
      if (!server.getClientCapabilities()?.sampling) {
        throw new Error("The client does not support sampling");
      }
      const { content } = await extra.sendRequest(
        {
          method: "sampling/createMessage",
          params: { messages: [userMessage(text(prompt))], maxTokens: 100 },
        },
        CreateMessageResultSchema,
      );
      const reply = content.type === "text" ? content.text : `[${content.type}]`;
      return toolResult(text(`LLM response: ${reply}`));
    },
  },
  {
    name: "test_elicitation",
    description: "Asks the client for a username and an email address",
    inputSchema: objectSchema({ message: describedString("What to ask the user") }, ["message"]),
    call: async (args, ctx) => {
      const schema = objectSchema(
        {
          username: describedString("User's response"),
          email: describedString("User's email address"),
        },
        ["username", "email"],
      );
      const outcome = await requestElicitation(ctx, requireString(args, "message"), schema);
      return toolResult(text(`User response: ${outcome}`));
    },
  },
  {
    name: "test_elicitation_sep1034_defaults",
    description: "Elicits a form whose primitive fields all have defaults (SEP-1034)",
    call: async (_args, ctx) => {
      const schema = objectSchema({
        name: { ...describedString("User name"), default: "John Doe" },
        age: { type: "integer", description: "User age", default: 30 },
        score: { type: "number", description: "User score", default: 95.5 },
        status: {
          ...describedString("User status"),
          enum: ["active", "inactive", "pending"],
          default: "active",
        },
        verified: { type: "boolean", description: "Verification status", default: true },
      });
      const outcome = await requestElicitation(ctx, "Please review the defaulted fields", schema);
      return toolResult(text(`Elicitation completed: ${outcome}`));
    },
  },
  {
    name: "test_elicitation_sep1330_enums",
    description: "Elicits a form using all five enum schema variants (SEP-1330)",
    call: async (_args, ctx) => {
      const options = ["option1", "option2", "option3"];
      const schema = objectSchema({
        untitledSingle: { type: "string", enum: options },
        titledSingle: {
          type: "string",
          oneOf: titled("First Option", "Second Option", "Third Option"),
        },
        legacyEnum: {
          type: "string",
          enum: ["opt1", "opt2", "opt3"],
          enumNames: ["Option One", "Option Two", "Option Three"],
        },
        untitledMulti: { type: "array", items: { type: "string", enum: options } },
        titledMulti: {
          type: "array",
          items: { anyOf: titled("First Choice", "Second Choice", "Third Choice") },
        },
      });
      const outcome = await requestElicitation(ctx, "Please pick from the enum fields", schema);
      return toolResult(text(`Elicitation completed: ${outcome}`));
    },
  },
  {
    name: "json_schema_2020_12_tool",
    description: "Tool with JSON Schema 2020-12 features (SEP-1613)",
    inputSchema: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      $defs: {
        address: {
          type: "object",
          properties: { street: { type: "string" }, city: { type: "string" } },
        },
      },
      properties: { name: { type: "string" }, address: { $ref: "#/$defs/address" } },
      additionalProperties: false,
    },
    call: async (args) => toolResult(text(`Called with: ${JSON.stringify(args)}`)),
  },
];

const RESOURCES = [
  {
    uri: "test://static-text",
    name: "static-text",
    description: "A static text resource",
    mimeType: "text/plain",
    read: () => ({ text: "This is the content of the static text resource." }),
  },
  {
    uri: "test://static-binary",
    name: "static-binary",
    description: "A static binary resource (1x1 PNG)",
    mimeType: "image/png",
    read: () => ({ blob: PNG_BASE64 }),
  },
  {
    uri: WATCHED_URI,
    name: "watched-resource",
    description: "A text resource that changes every few seconds; subscribe to hear about it",
    mimeType: "text/plain",
    read: (revision) => ({ text: `Watched resource content, revision ${revision}` }),
  },
];

const TEMPLATE = {
  uriTemplate: "test://template/{id}/data",
  name: "template",
  description: "JSON data for the id in the URI",
  mimeType: "application/json",
};
const TEMPLATE_PATTERN = /^test:\/\/template\/([^/]+)\/data$/;

const PROMPTS = [
  {
    name: "test_simple_prompt",
    description: "A prompt without arguments",
    get: () => [userMessage(text("This is a simple prompt for testing."))],
  },
  {
    name: "test_prompt_with_arguments",
    description: "A prompt with two required arguments",
    arguments: [
      { name: "arg1", description: "First test argument", required: true },
      { name: "arg2", description: "Second test argument", required: true },
    ],
    get: ({ arg1, arg2 }) => [
      userMessage(text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`)),
    ],
  },
  {
    name: "test_prompt_with_embedded_resource",
    description: "A prompt that embeds a resource",
    arguments: [{ name: "resourceUri", description: "URI to embed", required: true }],
    get: ({ resourceUri }) => [
      userMessage(embedded(resourceUri, "text/plain", "Embedded resource content for testing.")),
      userMessage(text("Please process the embedded resource above.")),
    ],
  },
  {
    name: "test_prompt_with_image",
    description: "A prompt that includes an image",
    get: () => [userMessage(image), userMessage(text("Please analyze the image above."))],
  },
];

// completion/complete candidates, keyed by prompt name or template URI and
// argument name; values are filtered by the typed prefix.
const COMPLETIONS = {
  "test_prompt_with_arguments/arg1": ["paris", "park", "party"],
  "test_prompt_with_arguments/arg2": ["hello", "world"],
  [`${TEMPLATE.uriTemplate}/id`]: ["1", "2", "123"],
};

// One Server per session (HTTP) or per process (stdio).
function createMcpServer() {
  const server = new Server(
    { name: "toolgate-conformance-fixture", version: "1.0.0" },
    {
      capabilities: {
        tools: {}, resources: { subscribe: true }, prompts: {}, logging: {}, completions: {},
      },
    },
  );
  server.onerror = (error) => console.error(`fixture: ${error.message}`);

  // The SDK's own logging/setLevel handler only filters sendLoggingMessage,
  // whose notifications go to the standalone GET stream; tool logs are sent
  // on the tools/call stream instead, so the level is tracked here.
  let minLevel = LoggingLevelSchema.options[0];
  const severity = (level) => LoggingLevelSchema.options.indexOf(level);
  server.setRequestHandler(SetLevelRequestSchema, async ({ params }) => {
    minLevel = params.level;
    return {};
  });

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: TOOLS.map(({ call, ...tool }) => ({ inputSchema: objectSchema({}), ...tool })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async ({ params }, extra) => {
    const tool = TOOLS.find((t) => t.name === params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${params.name}`);
    const log = async (level, data) => {
      if (severity(level) < severity(minLevel)) return;
      await extra.sendNotification({
        method: "notifications/message",
        params: { level, logger: "fixture", data },
      });
    };
    try {
      return await tool.call(params.arguments ?? {}, { server, extra, log });
    } catch (error) {
      // A failing tool is a tool result with isError, not a protocol error.
      return { isError: true, content: [text(error.message)] };
    }
  });

  // The watched resource really changes, so a subscription has something to
  // report: notifications/resources/updated, while subscribed.
  let revision = 1;
  const subscriptions = new Set();
  const ticker = setInterval(() => {
    revision += 1;
    if (subscriptions.has(WATCHED_URI)) {
      server.sendResourceUpdated({ uri: WATCHED_URI }).catch(() => {});
    }
  }, WATCHED_PERIOD_MS);
  ticker.unref();
  server.onclose = () => clearInterval(ticker);

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: RESOURCES.map(({ read, ...resource }) => resource),
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: [TEMPLATE],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async ({ params: { uri } }) => {
    const resource = RESOURCES.find((r) => r.uri === uri);
    if (resource) {
      return { contents: [{ uri, mimeType: resource.mimeType, ...resource.read(revision) }] };
    }
    const match = TEMPLATE_PATTERN.exec(uri);
    if (!match) throw new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, { uri });
    const id = decodeURIComponent(match[1]);
    const data = JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` });
    return { contents: [{ uri, mimeType: TEMPLATE.mimeType, text: data }] };
  });
  server.setRequestHandler(SubscribeRequestSchema, async ({ params }) => {
    subscriptions.add(params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async ({ params }) => {
    subscriptions.delete(params.uri);
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, async () => ({
    prompts: PROMPTS.map(({ get, ...prompt }) => prompt),
  }));
  server.setRequestHandler(GetPromptRequestSchema, async ({ params }) => {
    const prompt = PROMPTS.find((p) => p.name === params.name);
    if (!prompt) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${params.name}`);
    const args = params.arguments ?? {};
    const missing = (prompt.arguments ?? []).filter((a) => a.required && !(a.name in args));
    if (missing.length > 0) {
      const names = missing.map((a) => a.name).join(", ");
      throw new McpError(ErrorCode.InvalidParams, `Missing required arguments: ${names}`);
    }
    return { description: prompt.description, messages: prompt.get(args) };
  });

  server.setRequestHandler(CompleteRequestSchema, async ({ params: { ref, argument } }) => {
    const candidates = COMPLETIONS[`${ref.name ?? ref.uri}/${argument.name}`] ?? [];
    const values = candidates.filter((v) => v.startsWith(argument.value));
    return { completion: { values, total: values.length, hasMore: false } };
  });

  return server;
}

// In-memory event store for one session: lets a client whose SSE stream was
// closed (test_reconnection does it on purpose) resume with Last-Event-ID.
// Event ids count up per session; each event remembers its stream.
function createEventStore() {
  const events = new Map();
  let lastId = 0;
  return {
    async storeEvent(streamId, message) {
      lastId += 1;
      events.set(String(lastId), { streamId, message });
      return String(lastId);
    },
    // Unknown ids make the transport answer 400 before replaying.
    async getStreamIdForEventId(eventId) {
      return events.get(eventId)?.streamId;
    },
    async replayEventsAfter(lastEventId, { send }) {
      const { streamId } = events.get(lastEventId);
      for (const [eventId, event] of events) {
        // Priming events store an empty message: there is nothing to resend.
        const isPriming = Object.keys(event.message).length === 0;
        if (Number(eventId) > Number(lastEventId) && event.streamId === streamId && !isPriming) {
          await send(eventId, event.message);
        }
      }
      return streamId;
    },
  };
}

// DNS-rebinding protection: a page on evil.example whose name was rebound to
// 127.0.0.1 still sends "Host: evil.example" (and its Origin), so only
// loopback names are accepted in either header.
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);
const hostnameOf = (url) => (URL.canParse(url) ? new URL(url).hostname : undefined);
function isLoopbackRequest({ headers }) {
  const hostOk = LOOPBACK_NAMES.has(hostnameOf(`http://${headers.host}`));
  const originOk = headers.origin === undefined || LOOPBACK_NAMES.has(hostnameOf(headers.origin));
  return hostOk && originOk;
}

function sendError(res, status, code, message) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

const sessions = new Map();

async function startSession(req, res, body) {
  const server = createMcpServer();
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: randomUUID,
    eventStore: createEventStore(),
    // Sent with priming events: how long a polled client waits to reconnect.
    retryInterval: 500,
    onsessioninitialized: (sessionId) => sessions.set(sessionId, transport),
  });
  // Set before connect(), which chains its own close handling after this one.
  transport.onclose = () => sessions.delete(transport.sessionId);
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

async function handleHttp(req, res) {
  if (new URL(req.url, "http://127.0.0.1").pathname !== "/mcp") {
    res.writeHead(404).end();
    return;
  }
  if (!isLoopbackRequest(req)) {
    sendError(res, 403, -32000, "Forbidden: Host and Origin must name the loopback interface");
    return;
  }
  const sessionId = req.headers["mcp-session-id"];
  const transport = sessionId === undefined ? undefined : sessions.get(sessionId);
  if (req.method === "POST") {
    let body;
    try {
      body = await readJson(req);
    } catch {
      sendError(res, 400, ErrorCode.ParseError, "Parse error: the body is not JSON");
      return;
    }
    if (transport) return transport.handleRequest(req, res, body);
    if (sessionId === undefined && isInitializeRequest(body)) return startSession(req, res, body);
  } else if (req.method === "GET" || req.method === "DELETE") {
    if (transport) return transport.handleRequest(req, res);
  } else {
    res.writeHead(405, { Allow: "GET, POST, DELETE" }).end();
    return;
  }
  if (sessionId === undefined) {
    sendError(res, 400, -32000, "Bad Request: Mcp-Session-Id header is required");
  } else {
    sendError(res, 404, -32001, "Session not found");
  }
}

// The legacy HTTP+SSE transport (protocol 2024-11-05), for clients that
// fall back to it: GET /mcp opens the stream, whose first event names the
// endpoint messages are POSTed to. A POST to /mcp is refused (405), which
// is what tells a Streamable HTTP client to fall back.
const legacySessions = new Map();

async function handleLegacy(req, res) {
  const url = new URL(req.url, "http://127.0.0.1");
  if (!isLoopbackRequest(req)) {
    sendError(res, 403, -32000, "Forbidden: Host and Origin must name the loopback interface");
  } else if (url.pathname === "/mcp" && req.method === "GET") {
    const transport = new SSEServerTransport("/messages", res);
    legacySessions.set(transport.sessionId, transport);
    res.on("close", () => legacySessions.delete(transport.sessionId));
    await createMcpServer().connect(transport);
  } else if (url.pathname === "/messages" && req.method === "POST") {
    const transport = legacySessions.get(url.searchParams.get("sessionId"));
    if (!transport) {
      sendError(res, 404, -32001, "Session not found");
      return;
    }
    await transport.handlePostMessage(req, res, await readJson(req));
  } else {
    res.writeHead(url.pathname === "/mcp" ? 405 : 404, { Allow: "GET" }).end();
  }
}

function serveHttp(port, legacy) {
  const handle = legacy ? handleLegacy : handleHttp;
  const httpServer = createHttpServer((req, res) => {
    handle(req, res).catch((error) => {
      console.error(`fixture: ${error.stack ?? error}`);
      if (!res.headersSent) sendError(res, 500, ErrorCode.InternalError, "Internal error");
    });
  });
  httpServer.listen(port, "127.0.0.1", () => {
    console.log(`listening ${httpServer.address().port}`);
  });
}

const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === "--stdio") {
  await createMcpServer().connect(new StdioServerTransport());
} else if (argv.length >= 2 && argv[0] === "--port" && /^\d+$/.test(argv[1]) &&
           (argv.length === 2 || (argv.length === 3 && argv[2] === "--legacy-sse"))) {
  serveHttp(Number(argv[1]), argv.length === 3);
} else {
  console.error("usage: fixture_server.mjs --port N [--legacy-sse] | --stdio");
  process.exit(2);
}
