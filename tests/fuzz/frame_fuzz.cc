// Reads a worker's frame stream (read_frame, read_frame_with_fd) split at input-chosen points,
// and WorkResult::from_json on each frame: the gateway's view of a possibly hostile worker.
// Byte 0 picks the reader and caps, byte 1 seeds the splits, the rest is the stream.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/frame.h"
#include "common/json_limits.h"
#include "common/work_order.h"
#include "fuzz_util.h"

using namespace toolgate;

namespace {

constexpr uint32_t kFrameCaps[] = {0, 16, 1024, 1 << 20};
constexpr uint64_t kOutputCaps[] = {0, 8, 4096, 1 << 20};

// The frames in `s` as the wire format defines them, and how reading ends.
FrameStatus expected(std::string_view s, uint32_t cap, std::vector<std::string>* frames) {
  for (;;) {
    if (s.empty()) return FrameStatus::eof;
    if (s.size() < 4) return FrameStatus::io_error;
    auto b = [&](int i) { return uint32_t(uint8_t(s[i])); };
    uint32_t n = b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
    if (n > cap) return FrameStatus::too_large;
    if (s.size() - 4 < n) return FrameStatus::io_error;
    frames->emplace_back(s.substr(4, n));
    s.remove_prefix(4 + n);
  }
}

void check_result(const std::string& payload, uint64_t max_output) {
  auto doc = parse_bounded(payload, 80);  // as worker_pool.cc reads the answer frame
  if (!doc) return;
  auto r = WorkResult::from_json(*doc, max_output);
  if (!r) return;
  for (const std::string* s : {&r->stdout_text, &r->stderr_tail, &r->detail})
    FUZZ_CHECK(sanitize_utf8(*s) == *s, "a text field is not UTF-8");
  FUZZ_CHECK(r->stdout_text.size() <= max_output * 3 + 16, "stdout_text over its cap");
  FUZZ_CHECK(r->detail.size() <= 512, "detail over its cap");
  json again = r->to_json();
  auto back = WorkResult::from_json(again, max_output);
  FUZZ_CHECK(back, "to_json() does not read back: %s", back.error().message.c_str());
  FUZZ_CHECK(back->to_json() == again, "to_json() does not round-trip");
  (void)again.dump();  // throws on invalid UTF-8
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool once = [] { return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)once;
  if (size < 2 || size > (1 << 16)) return 0;
  const int mode = data[0] % 3;  // 0: read_frame on a socket, 1: on a pipe, 2: read_frame_with_fd
  const uint32_t cap = kFrameCaps[(data[0] >> 2) & 3];
  const uint64_t max_output = kOutputCaps[(data[0] >> 4) & 3];
  fuzz::Rng rng{uint64_t{data[1]}};
  std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  int fds[2];
  int rc = mode == 1 ? ::pipe2(fds, O_CLOEXEC)
                     : ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
  FUZZ_CHECK(rc == 0, "no socketpair or pipe");
  // Reader fds[0], writer fds[1] (a pipe's write end is fds[1] too).
  std::vector<size_t> pieces;
  for (size_t left = stream.size(); left > 0;) {
    size_t n = std::min(left, 1 + rng.below(rng.below(4) == 0 ? 64 : 8));
    pieces.push_back(n);
    left -= n;
  }
  std::thread writer([&, wfd = fds[1]] {
    size_t at = 0;
    for (size_t n : pieces) {
      ssize_t w = mode == 1 ? ::write(wfd, stream.data() + at, n)
                            : ::send(wfd, stream.data() + at, n, MSG_NOSIGNAL);
      if (w != ssize_t(n)) break;  // the reader stopped and closed its end
      at += n;
      sched_yield();  // let the reader take what is there: frames arrive split
    }
    ::close(wfd);
  });
  std::vector<std::string> got;
  FrameRead fr;
  for (;;) {
    int fd_in = -1;
    fr =
        mode == 2 ? read_frame_with_fd(fds[0], cap, 10000, &fd_in) : read_frame(fds[0], cap, 10000);
    FUZZ_CHECK(fd_in < 0, "a descriptor arrived that nobody sent");
    if (fr.status != FrameStatus::ok) break;
    got.push_back(std::move(fr.payload));
  }
  ::close(fds[0]);
  writer.join();

  std::vector<std::string> want;
  FrameStatus end = expected(stream, cap, &want);
  FUZZ_CHECK(got == want, "read %zu frames, the bytes hold %zu", got.size(), want.size());
  FUZZ_CHECK(fr.status == end, "ended with status %d, expected %d", int(fr.status), int(end));
  if (mode != 2) FUZZ_CHECK(fr.payload.empty(), "a failed read kept a payload");
  for (auto& p : got) check_result(p, max_output);
  return 0;
}
