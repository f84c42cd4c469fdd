#!/usr/bin/env python3
"""Testcase: fetches {"url": ...} through whatever HTTP(S)_PROXY the sandbox
provides and prints {"status", "body"} or {"error"}. Follows redirects, so
each hop goes through the gateway's egress checks again."""
import json
import socket
import sys
import urllib.error
import urllib.request

args = json.load(sys.stdin)
if args.get("direct"):
    # Bypass the proxy: a raw connection straight to host:port.
    try:
        socket.create_connection((args["host"], args["port"]), timeout=2).close()
        print(json.dumps({"direct": "connected"}))
    except OSError as e:
        print(json.dumps({"direct": "failed", "error": str(e)}))
    sys.exit(0)
try:
    with urllib.request.urlopen(args["url"], timeout=5) as r:
        print(json.dumps({"status": r.status, "body": r.read().decode()}))
except urllib.error.HTTPError as e:
    print(json.dumps({"status": e.code, "body": e.read().decode()}))
except Exception as e:  # noqa: BLE001 - the test wants any failure as data
    print(json.dumps({"error": str(e)}))
