// A Streamable HTTP MCP upstream, bridged to stdio inside the sandbox: the
// contained process reads JSON-RPC lines on stdin and POSTs each to the
// server (its Mcp-Session-Id and MCP-Protocol-Version learned from the
// handshake); answers, JSON or SSE, come back as lines on stdout, and so do
// the messages of the server's own GET stream. A server that refuses the
// initialize POST (400, 404, 405) is spoken to with the legacy HTTP+SSE
// transport instead: the stream's `endpoint` event names where to POST.
// To the worker's relay
// (stdio_relay.h) it is one more stdio server, so an HTTP upstream gets the
// same bounded parsing, limits and egress broker as a jailed stdio one.
//
// The config (WorkOrder.http): {"mcp_bridge": true, "url": "...",
// "headers": ["Authorization: Bearer ..."], "max_message_bytes": N}
//
//   run_mcp_http_bridge(order.http, broker_fd);   // in the contained process; never returns
#pragma once

#include "common/json_limits.h"

namespace toolgate::worker {

// Runs until stdin ends; never returns.
[[noreturn]] int run_mcp_http_bridge(const json& cfg, int broker_fd);

}  // namespace toolgate::worker
