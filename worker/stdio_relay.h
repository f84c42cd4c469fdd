// A long-lived server under the sandbox (an MCP server speaking JSON-RPC
// over stdio), relayed to the gateway: what the gateway sends ({"send":
// msg}) is written to the server's stdin as one line; each line the server
// prints is parsed here, bounded, and goes to the gateway as {"msg": msg}
// (or {"noise": text} when it is not JSON). stderr lines go as
// {"stderr": text}, rate-limited. When the server ends, {"exit": {...}}
// says how, and the relay returns. The gateway closing the socket kills it.
//
// Egress requests of the server go to the broker socket (broker_fd()), not
// the frame socket, so they never interleave with relayed messages.
//
//   auto child = prepare_child(order);                    // contained, not yet exec'd
//   return serve_stdio(order, *child, frame_fd);          // until either side ends
#pragma once

#include "worker/exec_runner.h"

namespace toolgate::worker {

int serve_stdio(const WorkOrder& order, PreparedChild& prepared, int frame_fd);

}  // namespace toolgate::worker
