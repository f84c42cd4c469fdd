// Server-Sent Events plumbing for the Streamable HTTP transport.
//
// QueuedStream: a stream that any thread may send to; the HTTP thread
// serving a GET stream drains it. DirectStream: a stream that writes
// straight into one POST response's stream, used only by the thread that
// handles that request.
//
//   auto get_stream = std::make_shared<QueuedStream>();   // session->set_default_stream(...)
//   while (get_stream->pop(&event, 15000)) sink.write(event);
//   DirectStream post([&](const std::string& ev) { return sink.write(ev); });
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "gateway/protocol/client_stream.h"

namespace toolgate {

// Formats one message as an SSE "message" event.
std::string sse_event(const json& msg);

class QueuedStream : public ClientStream {
 public:
  explicit QueuedStream(size_t max_queued = 1024) : max_queued_(max_queued) {}
  bool send(const json& msg) override;
  // Waits up to `wait_ms` for an event; false on timeout or once closed.
  bool pop(std::string* event, int wait_ms);
  void close() override;
  bool closed() const;

 private:
  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> q_;
  bool closed_ = false;
};

class DirectStream : public ClientStream {
 public:
  using Writer = std::function<bool(const std::string&)>;
  explicit DirectStream(Writer w) : write_(std::move(w)) {}
  bool send(const json& msg) override;
  bool keepalive() override;

 private:
  std::mutex mu_;
  Writer write_;
  bool broken_ = false;
};

}  // namespace toolgate
