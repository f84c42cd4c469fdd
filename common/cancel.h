// A one-shot cancellation signal that can be polled alongside sockets.
//
//   auto c = std::make_shared<CancelToken>();
//   c->cancel();                 // from any thread
//   poll({sock, c->fd()}) ...    // readable once cancelled
#pragma once

#include <atomic>

namespace toolgate {

class CancelToken {
 public:
  CancelToken();
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  void cancel();
  bool cancelled() const { return cancelled_.load(); }
  int fd() const { return fd_; }  // eventfd, readable after cancel()

 private:
  int fd_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace toolgate
