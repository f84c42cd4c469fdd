#include "gateway/transport/sse_stream.h"

#include <chrono>

namespace toolgate {

std::string sse_event(const json& msg) {
  // dump_safe never emits raw newlines, so one data: line is enough.
  return "event: message\ndata: " + dump_safe(msg) + "\n\n";
}

bool QueuedStream::send(const json& msg) {
  std::string ev = sse_event(msg);
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A client that never reads must not make the gateway buffer forever.
    if (closed_ || q_.size() >= max_queued_) return false;
    q_.push_back(std::move(ev));
  }
  cv_.notify_one();
  return true;
}

bool QueuedStream::pop(std::string* event, int wait_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return closed_ || !q_.empty(); });
  if (q_.empty()) return false;
  *event = std::move(q_.front());
  q_.pop_front();
  return true;
}

void QueuedStream::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool QueuedStream::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

bool DirectStream::send(const json& msg) {
  std::lock_guard<std::mutex> lock(mu_);
  if (broken_) return false;
  if (!write_(sse_event(msg))) broken_ = true;
  return !broken_;
}

bool DirectStream::keepalive() {
  std::lock_guard<std::mutex> lock(mu_);
  if (broken_) return false;
  if (!write_(": keepalive\n\n")) broken_ = true;
  return !broken_;
}

}  // namespace toolgate
