#include "common/io.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

namespace toolgate {
namespace {

// `sock` picks send(2) over write(2); the loop is the same.
bool put_all(int fd, const char* p, size_t n, bool sock) {
  while (n > 0) {
    ssize_t w = sock ? ::send(fd, p, n, MSG_NOSIGNAL) : ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;  // 0: no progress, which would loop forever
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

bool write_all(int fd, const void* data, size_t n) {
  return put_all(fd, static_cast<const char*>(data), n, false);
}

bool send_all(int sock, const void* data, size_t n) {
  return put_all(sock, static_cast<const char*>(data), n, true);
}

}  // namespace toolgate
