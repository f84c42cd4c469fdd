// Upstream::Call, shared by the files that implement Upstream (upstream.cc,
// upstream_2026.cc, upstream_parking.cc): one request in flight to the
// server, and who it is for. Not for use outside adapters/mcp.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/mcp/upstream.h"

namespace toolgate::mcp {

using Clock = std::chrono::steady_clock;

// A request in flight to the server, and who it is for.
struct Upstream::Call {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  json reply;
  std::weak_ptr<Session> session;
  // A 2026-07-28 client has no session: its notifications go straight to
  // its request's stream, log messages only at the level it asked for.
  bool stateless = false;
  std::string log_level;
  json client_capabilities;
  std::string caller, target;  // who asked, and the tool, prompt or URI
  // Requests of a 2025 server for a 2026 client, which cannot be asked
  // during its request: they end it with input_required (upstream_parking.cc).
  struct Ask {
    json id;  // the server's request id
    std::string method;
    json params;
  };
  std::vector<Ask> asks;
  ClientStream* stream = nullptr;
  json client_token;  // the client's progress token, or null
  std::string our_token;
  const CancelToken* cancel = nullptr;
  Clock::time_point deadline;
  Clock::time_point latest;  // progress extends the deadline up to here
  uint64_t timeout_ms = 0;
  double last_progress = -1;
  // Requests of the server asked of the client on this call's behalf: they
  // use the call's stream, so the call does not end before they do.
  CancelToken nested_cancel;
  int nested = 0;
  bool finished = false;  // the caller has its answer: stream is gone

  void finish(json r) {
    std::lock_guard<std::mutex> lock(mu);
    if (done) return;
    done = true;
    reply = std::move(r);
    cv.notify_all();
  }
};

}  // namespace toolgate::mcp
