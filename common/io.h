// Writing a whole buffer to a descriptor, the one loop the tree shares: it
// retries on EINTR and on short writes, and gives up on any other error or
// on a write that makes no progress.
//
//   if (!write_all(fd, line.data(), line.size())) return false;   // a pipe or file
//   if (!send_all(sock, s.data(), s.size())) return;               // a socket: never SIGPIPE
#pragma once

#include <cstddef>
#include <string_view>

namespace toolgate {

// write(2) until all `n` bytes are out. False on error (errno is kept).
bool write_all(int fd, const void* data, size_t n);
inline bool write_all(int fd, std::string_view s) { return write_all(fd, s.data(), s.size()); }

// The same with send(2) and MSG_NOSIGNAL, for sockets whose peer may be
// gone in a process that does not ignore SIGPIPE.
bool send_all(int sock, const void* data, size_t n);
inline bool send_all(int sock, std::string_view s) { return send_all(sock, s.data(), s.size()); }

}  // namespace toolgate
