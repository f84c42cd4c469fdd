#include "common/cancel.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace toolgate {

CancelToken::CancelToken() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

CancelToken::~CancelToken() {
  if (fd_ >= 0) ::close(fd_);
}

void CancelToken::cancel() {
  if (cancelled_.exchange(true)) return;
  uint64_t one = 1;
  if (fd_ >= 0) {
    ssize_t w = ::write(fd_, &one, sizeof one);
    (void)w;
  }
}

}  // namespace toolgate
