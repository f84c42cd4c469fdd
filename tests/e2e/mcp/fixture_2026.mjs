#!/usr/bin/env node
// Fixture MCP server for the official conformance suite (0.2.0-alpha), built
// on the TypeScript SDK v2 (@modelcontextprotocol/server). One endpoint speaks
// both protocol eras:
//   - 2025-11-25: initialize handshake, Mcp-Session-Id sessions, server->client
//     requests (sampling, elicitation) on the tools/call stream;
//   - 2026-07-28: stateless; every request carries the _meta envelope, and
//     input the server needs comes back as an input_required result (MRTR).
//
//   node fixture_2026.mjs --port N   Streamable HTTP at http://127.0.0.1:N/mcp
//                                    (N = 0: any free port); prints one line
//                                    "listening PORT" on stdout once ready
//   node fixture_2026.mjs --stdio    newline-delimited JSON on stdin/stdout,
//                                    either era (chosen by the first message)
//
// Bare imports resolve next to the script, so run a copy placed inside
// tests/npm/. Diagnostics go to stderr only.
//
// Tools needing client input are written once, MRTR-style (they return
// inputRequired(...)): on 2026 requests the client answers by retrying, and on
// 2025 sessions the SDK's legacy shim turns each input request into a real
// server->client request and re-enters the tool with the answers.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer as createHttpServer } from "node:http";
import {
  McpServer, ResourceTemplate,
  WebStandardStreamableHTTPServerTransport, completable, createMcpHandler,
  createRequestStateCodec, fromJsonSchema, hostHeaderValidationResponse, inputRequired,
  inputResponse, isInitializeRequest, isLegacyRequest, localhostAllowedHostnames,
  localhostAllowedOrigins, originValidationResponse,
} from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { z } from "zod";

// A 1x1 red RGB PNG and a one-sample 8 kHz 16-bit mono PCM WAV.
const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
const WAV_BASE64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQIAAAAAAA==";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (value) => ({ type: "text", text: value });
const image = { type: "image", data: PNG_BASE64, mimeType: "image/png" };
const embedded = (uri, mimeType, body) => ({ type: "resource", resource: { uri, mimeType, text: body } });
const userMessage = (content) => ({ role: "user", content });
const toolResult = (...content) => ({ content });
const objectSchema = (properties, required = []) => ({ type: "object", properties, required });
const titled = (...titles) => titles.map((title, i) => ({ const: `value${i + 1}`, title }));

// requestState is attacker-controlled on the way back, so it is HMAC-sealed;
// the SDK verifies it before the handler runs and answers -32602 when it was
// tampered with. A per-process key suffices: one process serves every round.
const stateCodec = createRequestStateCodec({ key: randomBytes(32) });

// The client capabilities this request may rely on: the 2026 envelope's, or
// what the client declared in its 2025 initialize.
// (Over stdio, SDK 2.4.0 hands the envelope over with its wire key names.)
const clientCapabilities = (mcp, ctx) =>
  ctx.mcpReq.envelope?.clientCapabilities ??
  ctx.mcpReq.envelope?.["io.modelcontextprotocol/clientCapabilities"] ??
  mcp.server.getClientCapabilities() ?? {};

// The answers of a retried request. Each must be a response object of the
// kind asked for: the SDK drops other values (e.g. a bare number) from
// inputResponses, and an answer of the wrong kind or shape does not count,
// so the tool asks again rather than completing with bad input.
function answers(ctx) {
  const responses = ctx.mcpReq.inputResponses ?? {};
  return {
    // The accepted form content for key when it has the wanted field types.
    accepted(key, fields) {
      const view = inputResponse(responses, key);
      if (view.kind !== "elicit" || view.action !== "accept") return undefined;
      const ok = Object.entries(fields).every(([name, type]) => typeof view.content?.[name] === type);
      return ok ? view.content : undefined;
    },
    // The elicitation outcome for key, whatever the user chose.
    elicited(key) {
      const view = inputResponse(responses, key);
      return view.kind === "elicit" ? view : undefined;
    },
    sampled(key) {
      const view = inputResponse(responses, key);
      if (view.kind !== "sampling") return undefined;
      const { content } = view.result;
      return content?.type === "text" ? content.text : `[${content?.type}]`;
    },
    roots(key) {
      const view = inputResponse(responses, key);
      return view.kind === "roots" ? view.roots : undefined;
    },
  };
}

const ask = {
  name: () => inputRequired.elicit({
    message: "What is your name?",
    requestedSchema: objectSchema({ name: { type: "string" } }, ["name"]),
  }),
  confirm: () => inputRequired.elicit({
    message: "Please confirm",
    requestedSchema: objectSchema({ ok: { type: "boolean" } }, ["ok"]),
  }),
  sample: (prompt, maxTokens) =>
    inputRequired.createMessage({ messages: [userMessage(text(prompt))], maxTokens }),
};
const outcome = (view) => `action=${view.action}, content=${JSON.stringify(view.content ?? {})}`;

// The state a multi-round tool carries between rounds, bound to the tool.
async function sealed(tool, payload) {
  return stateCodec.mint({ tool, ...payload });
}
function unsealed(ctx, tool) {
  const state = ctx.mcpReq.requestState();
  return state?.tool === tool ? state : undefined;
}

const JSON_SCHEMA_2020_12 = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  $defs: {
    address: {
      $anchor: "addressDef",
      type: "object",
      properties: { street: { type: "string" }, city: { type: "string" } },
    },
  },
  properties: {
    name: { type: "string" },
    address: { $ref: "#/$defs/address" },
    contactMethod: { type: "string", enum: ["phone", "email"] },
    phone: { type: "string" },
    email: { type: "string" },
  },
  allOf: [{ anyOf: [{ required: ["phone"] }, { required: ["email"] }] }],
  if: { properties: { contactMethod: { const: "phone" } }, required: ["contactMethod"] },
  then: { required: ["phone"] },
  else: { required: ["email"] },
  additionalProperties: false,
};

// One McpServer per 2025 session, per 2026 HTTP request, or per stdio
// connection. `changed` publishes list changes to whoever listens.
function createFixture(changed) {
  const mcp = new McpServer(
    { name: "toolgate-conformance-fixture-2026", version: "1.0.0" },
    {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true },
        logging: {},
        completions: {},
      },
      requestState: { verify: stateCodec.verify },
    },
  );
  mcp.server.onerror = (error) => console.error(`fixture: ${error.message}`);
  const tool = (name, description, handler, inputSchema) =>
    mcp.registerTool(name, { description, inputSchema }, handler);

  // ----- plain tools (both eras)
  tool("test_simple_text", "Returns a simple text content block",
    () => toolResult(text("This is a simple text response for testing.")));
  tool("test_image_content", "Returns an image content block (1x1 PNG)", () => toolResult(image));
  tool("test_audio_content", "Returns an audio content block (tiny WAV)",
    () => toolResult({ type: "audio", data: WAV_BASE64, mimeType: "audio/wav" }));
  tool("test_embedded_resource", "Returns an embedded text resource", () =>
    toolResult(embedded("test://embedded-resource", "text/plain", "This is an embedded resource content.")));
  tool("test_multiple_content_types", "Returns text, image and embedded resource content together", () =>
    toolResult(
      text("Multiple content types test:"),
      image,
      embedded("test://mixed-content-resource", "application/json", '{"test":"data","value":123}'),
    ));
  // The SDK sends these on the call's own stream: in 2025 filtered by
  // logging/setLevel, in 2026 only when the request's _meta names a logLevel.
  tool("test_tool_with_logging", "Sends three info log notifications while it runs", async (ctx) => {
    await ctx.mcpReq.log("info", "Tool execution started");
    await sleep(50);
    await ctx.mcpReq.log("info", "Tool processing data");
    await sleep(50);
    await ctx.mcpReq.log("info", "Tool execution completed");
    return toolResult(text("Tool with logging executed successfully"));
  });
  tool("test_logging_tool", "Logs one info message (only if the request asked for logs)", async (ctx) => {
    await ctx.mcpReq.log("info", "Diagnostic trace logging activated");
    return toolResult(text("Logging evaluated"));
  });
  tool("test_tool_with_progress", "Reports progress 0, 50 and 100 of 100 when given a progress token",
    async (ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (progress > 0) await sleep(50);
        if (progressToken === undefined) continue;
        await ctx.mcpReq.notify({
          method: "notifications/progress",
          params: { progressToken, progress, total: 100, message: `Completed step ${progress} of 100` },
        });
      }
      return toolResult(text(String(progressToken ?? "no progress token")));
    });
  // McpServer reports a throwing tool as a result with isError.
  tool("test_error_handling", "Always fails with a tool execution error", () => {
    throw new Error("This tool intentionally returns an error for testing");
  });
  tool("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features (SEP-1613, SEP-2106)",
    (args) => toolResult(text(`Called with: ${JSON.stringify(args)}`)),
    fromJsonSchema(JSON_SCHEMA_2020_12));
  // SEP-2243: x-mcp-header mirrors the argument into an Mcp-Param-Region
  // header, which the SDK checks against the body before the tool runs.
  tool("test_x_mcp_header", "Echoes a region that is mirrored into the Mcp-Param-Region header",
    ({ region }) => toolResult(text(`region=${region}`)),
    fromJsonSchema(objectSchema(
      { region: { type: "string", description: "A region name", "x-mcp-header": "Region" } },
      ["region"],
    )));
  // SEP-1699 polling (2025): the SDK offers closeSSE only when the session
  // can resume the stream (it has an event store); elsewhere the result
  // simply arrives on the open stream.
  tool("test_reconnection", "Closes its SSE stream mid-call; the result arrives after the client reconnects",
    async (ctx) => {
      ctx.http?.closeSSE?.();
      await sleep(100);
      return toolResult(text("Reconnection test completed successfully"));
    });
  tool("test_trigger_tool_change", "Announces a tools list change to listeners", () => {
    changed.tools(mcp);
    return toolResult(text("Mutation triggered"));
  });
  tool("test_trigger_prompt_change", "Announces a prompts list change to listeners", () => {
    changed.prompts(mcp);
    return toolResult(text("Mutation triggered"));
  });

  // ----- tools that need client input (2025: server->client requests; 2026: MRTR)
  tool("test_sampling", "Asks the client to sample an LLM completion for the prompt", (args, ctx) => {
    const reply = answers(ctx).sampled("completion");
    if (reply === undefined) {
      return inputRequired({ inputRequests: { completion: ask.sample(args.prompt, 100) } });
    }
    return toolResult(text(`LLM response: ${reply}`));
  }, z.object({ prompt: z.string().describe("The prompt for the LLM") }));
  tool("test_elicitation", "Asks the client for a username and an email address", (args, ctx) => {
    const view = answers(ctx).elicited("user");
    if (view === undefined) {
      const requestedSchema = objectSchema({
        username: { type: "string", description: "User's response" },
        email: { type: "string", description: "User's email address" },
      }, ["username", "email"]);
      return inputRequired({ inputRequests: { user: inputRequired.elicit({ message: args.message, requestedSchema }) } });
    }
    return toolResult(text(`User response: ${outcome(view)}`));
  }, z.object({ message: z.string().describe("What to ask the user") }));
  tool("test_elicitation_sep1034_defaults", "Elicits a form whose primitive fields all have defaults (SEP-1034)",
    (ctx) => {
      const view = answers(ctx).elicited("form");
      if (view === undefined) {
        const requestedSchema = objectSchema({
          name: { type: "string", description: "User name", default: "John Doe" },
          age: { type: "integer", description: "User age", default: 30 },
          score: { type: "number", description: "User score", default: 95.5 },
          status: {
            type: "string", description: "User status",
            enum: ["active", "inactive", "pending"], default: "active",
          },
          verified: { type: "boolean", description: "Verification status", default: true },
        });
        const message = "Please review the defaulted fields";
        return inputRequired({ inputRequests: { form: inputRequired.elicit({ message, requestedSchema }) } });
      }
      return toolResult(text(`Elicitation completed: ${outcome(view)}`));
    });
  tool("test_elicitation_sep1330_enums", "Elicits a form using all five enum schema variants (SEP-1330)",
    (ctx) => {
      const view = answers(ctx).elicited("form");
      if (view === undefined) {
        const options = ["option1", "option2", "option3"];
        const requestedSchema = objectSchema({
          untitledSingle: { type: "string", enum: options },
          titledSingle: { type: "string", oneOf: titled("First Option", "Second Option", "Third Option") },
          legacyEnum: {
            type: "string", enum: ["opt1", "opt2", "opt3"],
            enumNames: ["Option One", "Option Two", "Option Three"],
          },
          untitledMulti: { type: "array", items: { type: "string", enum: options } },
          titledMulti: { type: "array", items: { anyOf: titled("First Choice", "Second Choice", "Third Choice") } },
        });
        const message = "Please pick from the enum fields";
        return inputRequired({ inputRequests: { form: inputRequired.elicit({ message, requestedSchema }) } });
      }
      return toolResult(text(`Elicitation completed: ${outcome(view)}`));
    });
  // Needs sampling. When the request's client capabilities lack it, the
  // SDK refuses the input request with -32021 (HTTP 400 in 2026).
  tool("test_missing_capability", "Needs the sampling capability", (ctx) => {
    if (clientCapabilities(mcp, ctx).sampling) return toolResult(text("Success"));
    return inputRequired({ inputRequests: { sample: ask.sample("Say anything", 10) } });
  });
  // Asks for input the stateless way: a 2026 response stream never carries
  // a server->client request.
  tool("test_streaming_elicitation", "Asks for the user's name while streaming", (ctx) => {
    const answer = answers(ctx).accepted("user_name", { name: "string" });
    if (answer === undefined) return inputRequired({ inputRequests: { user_name: ask.name() } });
    return toolResult(text(`Streaming complete: ${answer.name}`));
  });

  // ----- SEP-2322 input_required tools, named by the conformance scenarios
  tool("test_input_required_result_elicitation", "MRTR: asks for the user's name", (ctx) => {
    const answer = answers(ctx).accepted("user_name", { name: "string" });
    if (answer === undefined) return inputRequired({ inputRequests: { user_name: ask.name() } });
    return toolResult(text(`Hello, ${answer.name}!`));
  });
  tool("test_input_required_result_sampling", "MRTR: asks the client to sample a completion", (ctx) => {
    const reply = answers(ctx).sampled("capital_question");
    if (reply === undefined) {
      return inputRequired({ inputRequests: { capital_question: ask.sample("What is the capital of France?", 100) } });
    }
    return toolResult(text(`Sampled: ${reply}`));
  });
  tool("test_input_required_result_list_roots", "MRTR: asks for the client's roots", (ctx) => {
    const roots = answers(ctx).roots("client_roots");
    if (roots === undefined) return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
    return toolResult(text(`Roots: ${roots.map((root) => root.uri).join(", ") || "none"}`));
  });
  tool("test_input_required_result_request_state", "MRTR: asks for confirmation, carrying requestState",
    async (ctx) => {
      const state = unsealed(ctx, "request_state");
      const answer = answers(ctx).accepted("confirm", { ok: "boolean" });
      if (state && answer?.ok === true) return toolResult(text("state-ok: requestState validated"));
      return inputRequired({
        inputRequests: { confirm: ask.confirm() },
        requestState: await sealed("request_state", { nonce: randomUUID() }),
      });
    });
  tool("test_input_required_result_tampered_state", "MRTR: asks for confirmation; a tampered requestState is refused",
    async (ctx) => {
      const answer = answers(ctx).accepted("confirm", { ok: "boolean" });
      if (unsealed(ctx, "tampered_state") && answer) return toolResult(text("state intact"));
      return inputRequired({
        inputRequests: { confirm: ask.confirm() },
        requestState: await sealed("tampered_state", { nonce: randomUUID() }),
      });
    });
  tool("test_input_required_result_multiple_inputs", "MRTR: asks for a name, a sampled greeting and the roots at once",
    async (ctx) => {
      const given = answers(ctx);
      const name = given.accepted("user_name", { name: "string" })?.name;
      const greeting = given.sampled("greeting");
      const roots = given.roots("client_roots");
      if (unsealed(ctx, "multiple_inputs") && name && greeting !== undefined && roots) {
        return toolResult(text(`${greeting} ${name}; roots: ${roots.map((root) => root.uri).join(", ")}`));
      }
      return inputRequired({
        inputRequests: {
          user_name: ask.name(),
          greeting: ask.sample("Generate a greeting", 50),
          client_roots: inputRequired.listRoots(),
        },
        requestState: await sealed("multiple_inputs", {}),
      });
    });
  // Round 1 asks for a name, round 2 (whose state carries the name) for a
  // colour; any other state starts over.
  tool("test_input_required_result_multi_round", "MRTR: asks for a name, then for a favourite colour",
    async (ctx) => {
      const state = unsealed(ctx, "multi_round");
      const given = answers(ctx);
      const name = state?.round === 1 ? given.accepted("step1", { name: "string" })?.name : state?.name;
      const color = state?.round === 2 ? given.accepted("step2", { color: "string" })?.color : undefined;
      if (name !== undefined && color !== undefined) return toolResult(text(`${name} likes ${color}`));
      if (name !== undefined) {
        const step2 = inputRequired.elicit({
          message: "Step 2: What is your favorite color?",
          requestedSchema: objectSchema({ color: { type: "string" } }, ["color"]),
        });
        return inputRequired({ inputRequests: { step2 }, requestState: await sealed("multi_round", { round: 2, name }) });
      }
      const step1 = inputRequired.elicit({
        message: "Step 1: What is your name?",
        requestedSchema: objectSchema({ name: { type: "string" } }, ["name"]),
      });
      return inputRequired({ inputRequests: { step1 }, requestState: await sealed("multi_round", { round: 1 }) });
    });
  // Asks only for the kinds of input the client declared it can give.
  tool("test_input_required_result_capabilities", "MRTR: asks only for input the client's capabilities allow",
    async (ctx) => {
      const given = answers(ctx);
      const elicited = given.elicited("elicit_input");
      const sampled = given.sampled("sample_input");
      if (unsealed(ctx, "capabilities") && (elicited || sampled !== undefined)) {
        return toolResult(text(`Got: ${elicited ? outcome(elicited) : ""} ${sampled ?? ""}`.trim()));
      }
      const caps = clientCapabilities(mcp, ctx);
      const inputRequests = {};
      if (caps.elicitation) {
        inputRequests.elicit_input = inputRequired.elicit({
          message: "Please provide input",
          requestedSchema: objectSchema({ input: { type: "string" } }),
        });
      }
      if (caps.sampling) inputRequests.sample_input = ask.sample("Sample request", 50);
      if (Object.keys(inputRequests).length === 0) return toolResult(text("The client can give no input"));
      return inputRequired({ inputRequests, requestState: await sealed("capabilities", {}) });
    });

  // ----- resources
  const resource = (name, uri, description, mimeType, body) =>
    mcp.registerResource(name, uri, { description, mimeType }, async () => ({
      contents: [{ uri, mimeType, ...body }],
    }));
  resource("static-text", "test://static-text", "A static text resource", "text/plain",
    { text: "This is the content of the static text resource." });
  resource("static-binary", "test://static-binary", "A static binary resource (1x1 PNG)", "image/png",
    { blob: PNG_BASE64 });
  resource("watched-resource", "test://watched-resource", "A text resource clients may subscribe to",
    "text/plain", { text: "Watched resource content" });
  mcp.registerResource(
    "template",
    new ResourceTemplate("test://template/{id}/data", {
      list: undefined,
      complete: { id: (value) => ["1", "2", "123"].filter((id) => id.startsWith(value)) },
    }),
    { description: "JSON data for the id in the URI", mimeType: "application/json" },
    async (uri, { id }) => ({
      contents: [{
        uri: uri.href,
        mimeType: "application/json",
        text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
      }],
    }),
  );
  // 2025 only (2026 has subscriptions/listen instead). Nothing changes the
  // watched resource, so a subscription only needs acknowledging.
  mcp.server.setRequestHandler("resources/subscribe", () => ({}));
  mcp.server.setRequestHandler("resources/unsubscribe", () => ({}));

  // ----- prompts
  mcp.registerPrompt("test_simple_prompt", { description: "A prompt without arguments" }, () => ({
    messages: [userMessage(text("This is a simple prompt for testing."))],
  }));
  const completions = (...values) => (value) => values.filter((v) => v.startsWith(value));
  mcp.registerPrompt("test_prompt_with_arguments", {
    description: "A prompt with two required arguments",
    argsSchema: z.object({
      arg1: completable(z.string().describe("First test argument"), completions("paris", "park", "party")),
      arg2: completable(z.string().describe("Second test argument"), completions("hello", "world")),
    }),
  }, ({ arg1, arg2 }) => ({
    messages: [userMessage(text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`))],
  }));
  mcp.registerPrompt("test_prompt_with_embedded_resource", {
    description: "A prompt that embeds a resource",
    argsSchema: z.object({ resourceUri: z.string().describe("URI to embed") }),
  }, ({ resourceUri }) => ({
    messages: [
      userMessage(embedded(resourceUri, "text/plain", "Embedded resource content for testing.")),
      userMessage(text("Please process the embedded resource above.")),
    ],
  }));
  mcp.registerPrompt("test_prompt_with_image", { description: "A prompt that includes an image" }, () => ({
    messages: [userMessage(image), userMessage(text("Please analyze the image above."))],
  }));
  mcp.registerPrompt("test_input_required_result_prompt",
    { description: "MRTR: prompt that requires elicitation input" }, (ctx) => {
      const answer = answers(ctx).accepted("user_context", { context: "string" });
      if (answer === undefined) {
        const user_context = inputRequired.elicit({
          message: "What context should the prompt use?",
          requestedSchema: objectSchema({ context: { type: "string" } }, ["context"]),
        });
        return inputRequired({ inputRequests: { user_context } });
      }
      return { messages: [userMessage(text(`Prompt with context: ${answer.context}`))] };
    });

  return mcp;
}

// ----- HTTP

// 2026 requests: a fresh server per request; list changes go to the open
// subscriptions/listen streams through the handler's event bus.
const modern = createMcpHandler(
  () => createFixture({ tools: () => modern.notify.toolsChanged(), prompts: () => modern.notify.promptsChanged() }),
  { legacy: "reject", onerror: (error) => console.error(`fixture: ${error.message}`) },
);

// 2025 requests: the SDK's own default would serve them statelessly, but a
// tool that asks the client for input needs a session, since the client's
// answer arrives on a later POST.
const sessions = new Map();
const sessionChanges = { tools: (mcp) => mcp.sendToolListChanged(), prompts: (mcp) => mcp.sendPromptListChanged() };
const jsonError = (status, code, message) =>
  Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status });

// A session's SSE events, so a client whose stream was closed (see
// test_reconnection) can resume it with Last-Event-ID. Ids count up from 1.
function createEventStore() {
  const events = [];
  return {
    async storeEvent(streamId, message) {
      events.push({ streamId, message });
      return String(events.length);
    },
    async getStreamIdForEventId(eventId) {
      return events[Number(eventId) - 1]?.streamId;
    },
    async replayEventsAfter(lastEventId, { send }) {
      const { streamId } = events[Number(lastEventId) - 1];
      for (let i = Number(lastEventId); i < events.length; i++) {
        // Priming events store an empty message: nothing to resend.
        const { streamId: id, message } = events[i];
        if (id === streamId && Object.keys(message).length > 0) await send(String(i + 1), message);
      }
      return streamId;
    },
  };
}

async function serveLegacy(request) {
  const sessionId = request.headers.get("mcp-session-id");
  if (sessionId !== null) {
    return sessions.get(sessionId)?.handleRequest(request) ?? jsonError(404, -32001, "Session not found");
  }
  const body = request.method === "POST" ? await request.clone().json().catch(() => undefined) : undefined;
  if (!isInitializeRequest(body)) return jsonError(400, -32000, "Bad Request: Mcp-Session-Id header is required");
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: randomUUID,
    eventStore: createEventStore(),
    retryInterval: 500, // how long a polled client waits before reconnecting
    onsessioninitialized: (id) => sessions.set(id, transport),
    onsessionclosed: (id) => sessions.delete(id),
  });
  await createFixture(sessionChanges).connect(transport);
  return transport.handleRequest(request, { parsedBody: body });
}

async function serveWeb(request) {
  if (new URL(request.url).pathname !== "/mcp") return new Response(null, { status: 404 });
  // DNS-rebinding protection: only loopback names in Host and Origin.
  const rejected = hostHeaderValidationResponse(request, localhostAllowedHostnames()) ??
    originValidationResponse(request, localhostAllowedOrigins());
  if (rejected) return rejected;
  return (await isLegacyRequest(request)) ? serveLegacy(request) : modern.fetch(request);
}

// node:http <-> fetch Request/Response. Streamed bodies (SSE) are copied
// chunk by chunk; a client that hangs up aborts the request and the copy.
async function handleNode(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const aborter = new AbortController();
  res.on("close", () => aborter.abort());
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const v of [value].flat()) headers.append(name, v);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(new URL(req.url, `http://${req.headers.host ?? "127.0.0.1"}`), {
    method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined, signal: aborter.signal,
  });
  const response = await serveWeb(request);
  res.writeHead(response.status, [...response.headers].flat());
  if (response.body === null) return void res.end();
  const reader = response.body.getReader();
  aborter.signal.addEventListener("abort", () => reader.cancel().catch(() => {}));
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    res.write(value);
  }
  res.end();
}

function serveHttp(port) {
  const httpServer = createHttpServer((req, res) => {
    handleNode(req, res).catch((error) => {
      console.error(`fixture: ${error.stack ?? error}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.end();
    });
  });
  httpServer.listen(port, "127.0.0.1", () => console.log(`listening ${httpServer.address().port}`));
}

const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === "--stdio") {
  // serveStdio picks the era from the first message and routes list changes
  // to subscriptions/listen (2026) or plain notifications (2025).
  serveStdio(() => createFixture(sessionChanges), { onerror: (error) => console.error(`fixture: ${error.message}`) });
} else if (argv.length === 2 && argv[0] === "--port" && /^\d+$/.test(argv[1])) {
  serveHttp(Number(argv[1]));
} else {
  console.error("usage: fixture_2026.mjs --port N | --stdio");
  process.exit(2);
}
