#include "common/frame.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "common/io.h"

namespace toolgate {
namespace {

using Clock = std::chrono::steady_clock;

// Reads exactly n bytes before the deadline. A zero-length read before any
// byte of the frame is EOF. On a socket it first takes what is already
// there without waiting: the caller has usually just polled, and a frame's
// payload arrives with its header (write_frame sends both at once), so the
// poll is most often a wasted system call.
FrameStatus read_exact(int fd, char* p, size_t n, Clock::time_point deadline, bool has_deadline,
                       int wake_fd, bool* got_any) {
  // (wake_fd interrupts waiting; taking bytes already there never waits.)
  bool try_now = true;
  while (n > 0) {
    if (try_now) {
      ssize_t r = ::recv(fd, p, n, MSG_DONTWAIT);
      if (r > 0) {
        *got_any = true;
        p += r;
        n -= static_cast<size_t>(r);
        continue;
      }
      if (r == 0) return *got_any ? FrameStatus::io_error : FrameStatus::eof;
      if (errno == EINTR) continue;
      try_now = false;  // nothing yet (EAGAIN), or not a socket (a pipe): wait below
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTSOCK)
        return FrameStatus::io_error;
    }
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
  // Header and payload in one write: the reader wakes once, with the whole
  // frame there, instead of once for the header and again for the rest.
  iovec iov[2] = {{hdr, 4}, {const_cast<char*>(payload.data()), payload.size()}};
  ssize_t w;
  while ((w = ::writev(fd, iov, 2)) < 0 && errno == EINTR) {
  }
  if (w < 0) return false;
  size_t done = static_cast<size_t>(w);
  if (done < 4)
    return write_all(fd, hdr + done, 4 - done) && write_all(fd, payload.data(), payload.size());
  return write_all(fd, payload.data() + (done - 4), payload.size() - (done - 4));
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

bool write_frame_with_fd(int sock, std::string_view payload, int fd) {
  uint32_t n = static_cast<uint32_t>(payload.size());
  unsigned char hdr[4] = {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
                          static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
  iovec iov{hdr, 1};
  char ctrl[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    msg.msg_control = ctrl;
    msg.msg_controllen = sizeof ctrl;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t w;
  while ((w = ::sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  if (w != 1) return false;
  return write_all(sock, hdr + 1, 3) && write_all(sock, payload.data(), payload.size());
}

FrameRead read_frame_with_fd(int sock, uint32_t max_bytes, int timeout_ms, int* fd_out) {
  *fd_out = -1;
  FrameRead out;
  pollfd p{sock, POLLIN, 0};
  int rc;
  while ((rc = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
  }
  if (rc == 0) {
    out.status = FrameStatus::timeout;
    return out;
  }
  // The descriptor rides on the first byte: take that byte with recvmsg.
  unsigned char first;
  iovec iov{&first, 1};
  char ctrl[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof ctrl;
  ssize_t r;
  while ((r = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (r <= 0) {
    out.status = r == 0 ? FrameStatus::eof : FrameStatus::io_error;
    return out;
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      std::memcpy(fd_out, CMSG_DATA(c), sizeof(int));
    }
  }
  unsigned char rest[3];
  bool got_any = true;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  out.status =
      read_exact(sock, reinterpret_cast<char*>(rest), 3, deadline, timeout_ms >= 0, -1, &got_any);
  if (out.status != FrameStatus::ok) return out;
  uint32_t n =
      (uint32_t(first) << 24) | (uint32_t(rest[0]) << 16) | (uint32_t(rest[1]) << 8) | rest[2];
  if (n > max_bytes) {
    out.status = FrameStatus::too_large;
    return out;
  }
  out.payload.resize(n);
  out.status = read_exact(sock, out.payload.data(), n, deadline, timeout_ms >= 0, -1, &got_any);
  return out;
}

}  // namespace toolgate
