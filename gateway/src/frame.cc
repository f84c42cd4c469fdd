#include "toolgate/frame.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>

namespace toolgate {
namespace {

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

using Clock = std::chrono::steady_clock;

// Reads exactly n bytes before the deadline. A zero-length read before any
// byte of the frame is EOF.
FrameStatus read_exact(int fd, char* p, size_t n, Clock::time_point deadline, bool has_deadline,
                       int wake_fd, bool* got_any) {
  while (n > 0) {
    int wait_ms = -1;
    if (has_deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return FrameStatus::timeout;
      wait_ms = static_cast<int>(left.count());
    }
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    int rc = ::poll(fds, wake_fd >= 0 ? 2 : 1, wait_ms);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return FrameStatus::io_error;
    }
    if (rc == 0) return FrameStatus::timeout;
    if (wake_fd >= 0 && (fds[1].revents & POLLIN)) return FrameStatus::interrupted;
    ssize_t r = ::read(fd, p, n);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return FrameStatus::io_error;
    }
    if (r == 0) return *got_any ? FrameStatus::io_error : FrameStatus::eof;
    *got_any = true;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return FrameStatus::ok;
}

}  // namespace

bool write_frame(int fd, std::string_view payload) {
  if (payload.size() > 0xffffffffu) return false;
  uint32_t n = static_cast<uint32_t>(payload.size());
  unsigned char hdr[4] = {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
                          static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
  return write_all(fd, reinterpret_cast<const char*>(hdr), 4) &&
         write_all(fd, payload.data(), payload.size());
}

FrameRead read_frame(int fd, uint32_t max_bytes, int timeout_ms, int wake_fd) {
  FrameRead out;
  bool has_deadline = timeout_ms >= 0;
  auto deadline = Clock::now() + std::chrono::milliseconds(has_deadline ? timeout_ms : 0);
  unsigned char hdr[4];
  bool got_any = false;
  out.status =
      read_exact(fd, reinterpret_cast<char*>(hdr), 4, deadline, has_deadline, wake_fd, &got_any);
  if (out.status != FrameStatus::ok) return out;
  uint32_t n = (uint32_t(hdr[0]) << 24) | (uint32_t(hdr[1]) << 16) | (uint32_t(hdr[2]) << 8) |
               uint32_t(hdr[3]);
  if (n > max_bytes) {
    out.status = FrameStatus::too_large;
    return out;
  }
  out.payload.resize(n);
  out.status = read_exact(fd, out.payload.data(), n, deadline, has_deadline, wake_fd, &got_any);
  if (out.status == FrameStatus::eof) out.status = FrameStatus::io_error;
  if (out.status != FrameStatus::ok) out.payload.clear();
  return out;
}

}  // namespace toolgate
