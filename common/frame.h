// Length-prefixed frames between the gateway and a worker process.
//
// Wire format: a 4-byte big-endian payload length, then the payload (JSON).
// Both ends cap the length before allocating, so a hostile peer cannot make
// the other side allocate more than `max_bytes`.
//
//   write_frame(fd, order.dump());
//   auto r = read_frame(fd, 1 << 20, deadline_ms);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace toolgate {

enum class FrameStatus { ok, eof, too_large, timeout, io_error, interrupted };

struct FrameRead {
  FrameStatus status = FrameStatus::io_error;
  std::string payload;
};

// Blocking write of one frame; retries on EINTR. False on any error.
bool write_frame(int fd, std::string_view payload);

// One frame with a file descriptor attached (SCM_RIGHTS), for the egress
// broker. The descriptor travels with the frame's first byte.
bool write_frame_with_fd(int sock, std::string_view payload, int fd);
// Like read_frame; `*fd_out` is the received descriptor or -1.
FrameRead read_frame_with_fd(int sock, uint32_t max_bytes, int timeout_ms, int* fd_out);

// Reads one frame. `timeout_ms` < 0 waits forever. When `wake_fd` >= 0 and
// becomes readable, returns `interrupted` (used for cancellation).
FrameRead read_frame(int fd, uint32_t max_bytes, int timeout_ms, int wake_fd = -1);

}  // namespace toolgate
