#!/usr/bin/env python3
"""A small stdio MCP server that misbehaves on request, for the tests of
type: mcp sources (tests/integration/mcp_proxy_test.cc).

Tools:
  echo {text}      answers with the text
  env              the names of its environment variables, its uid, and
                   whether it can see the path given as argv[1]
  crash            exits at once, mid-call
  big              prints one line far larger than any sane message
  noise            prints a line that is not JSON, then answers
  sample {prompt}  asks the client for a sampling/createMessage, answers
                   with the text the client gave
  grow             adds the tool "extra" and says so (tools/list_changed)
  count            how many times this process has been asked
  ask {method}     sends the client a request of that method, answers with
                   the reply it got (result or error) as JSON text
  extra            (only after grow)
"""
import json
import os
import sys

grown = False
pending = {}  # our request id -> the tools/call id waiting on it
asked = 0
counted = 0


def send(msg):
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def text(rid, t, error=False):
    send({"jsonrpc": "2.0", "id": rid,
          "result": {"content": [{"type": "text", "text": t}], "isError": error}})


def tools():
    obj = {"type": "object"}
    out = [
        {"name": "echo", "description": "Echo", "inputSchema": {
            "type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
         "annotations": {"readOnlyHint": True}},
        {"name": "env", "description": "Environment", "inputSchema": obj},
        {"name": "crash", "description": "Crash", "inputSchema": obj},
        {"name": "big", "description": "Big", "inputSchema": obj},
        {"name": "noise", "description": "Noise", "inputSchema": obj},
        {"name": "sample", "description": "Sample", "inputSchema": {
            "type": "object", "properties": {"prompt": {"type": "string"}}}},
        {"name": "grow", "description": "Grow", "inputSchema": obj},
        {"name": "count", "description": "Count", "inputSchema": obj},
        {"name": "ask", "description": "Ask", "inputSchema": {
            "type": "object", "properties": {"method": {"type": "string"}}}},
    ]
    if grown:
        out.append({"name": "extra", "description": "Extra", "inputSchema": obj})
    return out


def call(rid, name, args):
    global grown, asked, counted
    if name == "echo":
        text(rid, args.get("text", ""))
    elif name == "env":
        probe = sys.argv[1] if len(sys.argv) > 1 else "/"
        text(rid, json.dumps({"names": sorted(os.environ), "uid": os.getuid(),
                              "sees": os.path.exists(probe)}))
    elif name == "crash":
        os._exit(3)
    elif name == "big":
        sys.stdout.write('{"jsonrpc": "2.0", "pad": "' + "x" * (4 << 20) + '"}\n')
        sys.stdout.flush()
    elif name == "noise":
        sys.stdout.write("this is not JSON-RPC\n")
        text(rid, "after the noise")
    elif name == "sample":
        asked += 1
        pending["s%d" % asked] = (rid, "sample")
        send({"jsonrpc": "2.0", "id": "s%d" % asked, "method": "sampling/createMessage",
              "params": {"messages": [{"role": "user", "content": {
                  "type": "text", "text": args.get("prompt", "")}}], "maxTokens": 10}})
    elif name == "grow":
        grown = True
        send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
        text(rid, "grown")
    elif name == "ask":
        asked += 1
        pending["s%d" % asked] = (rid, "raw")
        send({"jsonrpc": "2.0", "id": "s%d" % asked, "method": args.get("method", ""), "params": {}})
    elif name == "count":
        counted += 1
        text(rid, str(counted))
    elif name == "extra" and grown:
        text(rid, "extra ran")
    else:
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": "unknown tool " + name}})


for line in sys.stdin:
    msg = json.loads(line)
    method, rid = msg.get("method"), msg.get("id")
    if method is None:  # a response to our sampling request
        waiting = pending.pop(msg.get("id"), None)
        if waiting is not None and waiting[1] == "raw":
            text(waiting[0], json.dumps(msg.get("error", msg.get("result"))))
        elif waiting is not None:
            got = msg.get("result", {}).get("content", {}).get("text", "(none)")
            text(waiting[0], "the client said: " + got)
        continue
    if rid is None:
        continue  # notifications
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": rid, "result": {
            "protocolVersion": msg["params"]["protocolVersion"],
            "capabilities": {"tools": {"listChanged": True}},
            "serverInfo": {"name": "mcp_upstream", "version": "1"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": rid, "result": {"tools": tools()}})
    elif method == "tools/call":
        call(rid, msg["params"]["name"], msg["params"].get("arguments", {}))
    elif method == "ping":
        send({"jsonrpc": "2.0", "id": rid, "result": {}})
    else:
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "no " + method}})
