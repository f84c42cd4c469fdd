// HTTP requests made from inside the sandbox, for adapters that call HTTP
// upstreams (OpenAPI, GraphQL). Runs in the contained child in place of an
// exec. libcurl is loaded with dlopen there, so the worker binary itself
// stays small; every connection comes from the gateway's egress broker
// (CURLOPT_OPENSOCKETFUNCTION + CURL_SOCKOPT_ALREADY_CONNECTED), and
// redirects are followed here, hop by hop, so each hop is brokered again.
//
// The request (WorkOrder.http):
//   {"method": "GET", "url": "https://api.example.com/x", "headers": ["A: b"],
//    "body": "...", "max_redirects": 5, "max_body_bytes": 1048576}
// With "oauth": {"access_token"}, it is sent as a bearer token. With
// "token_only": true and "oauth": {"grant": "client_credentials" |
// "refresh_token", "token_url", "client_id", "client_secret", "scope",
// "refresh_token"}, only the token endpoint is asked, and the answer is
// {"oauth": {"access_token", "expires_at"[, "refresh_token"]}} or {"error"}.
// The answer, on stdout as one JSON object:
//   {"status": 200, "headers": {...}, "body": "..." | "body_base64": "...",
//    "url": final URL, "redirects": N, "truncated": bool}  or  {"error": "..."}
#pragma once

#include "common/json_limits.h"

namespace toolgate::worker {

// `broker_fd`: the socket to the worker for connect requests.
// Returns the process exit status (0 once an answer, even an error, is printed).
int run_http_request(const json& request, int broker_fd, int timeout_ms);
// Loads libcurl (and initializes it) ahead of a call, in a prepared process.
void preload_http();

// Requests ({"http": ..., "timeout_ms": N} frames on `sock`, from the
// gateway) one after another, each answered with one frame on `sock`,
// through one curl handle, so that in pooled mode connections to the
// upstream are kept alive between calls (in per_call mode the gateway sends
// one request and ends the process). Connect requests travel on `sock`
// too. Returns when the gateway closes it.
int run_http_loop(int sock);

}  // namespace toolgate::worker
