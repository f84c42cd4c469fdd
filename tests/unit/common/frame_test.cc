// Length-prefixed frames between gateway and worker (common/frame.cc).
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/cancel.h"
#include "common/frame.h"

using namespace toolgate;
using namespace std::chrono_literals;

namespace {

// A connected AF_UNIX stream pair, closed on scope exit.
struct SocketPair {
  int fd[2] = {-1, -1};
  SocketPair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd) == 0); }
  ~SocketPair() {
    close_end(0);
    close_end(1);
  }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

void write_raw(int fd, const std::string& bytes) {
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
}

std::string header(uint32_t n) {
  return {char(n >> 24), char((n >> 16) & 0xff), char((n >> 8) & 0xff), char(n & 0xff)};
}

}  // namespace

TEST_CASE("a frame written with write_frame reads back unchanged") {
  SocketPair sp;
  REQUIRE(write_frame(sp.fd[0], R"({"argv":["/bin/cat"]})"));
  auto r = read_frame(sp.fd[1], 1024, 1000);
  CHECK(r.status == FrameStatus::ok);
  CHECK(r.payload == R"({"argv":["/bin/cat"]})");
}

TEST_CASE("frames use a 4-byte big-endian length header") {
  SocketPair sp;
  REQUIRE(write_frame(sp.fd[0], "abc"));
  char buf[16];
  ssize_t n = ::read(sp.fd[1], buf, sizeof buf);
  REQUIRE(n == 7);
  CHECK(std::string(buf, 7) == std::string("\0\0\0\x03"
                                           "abc",
                                           7));

  // And a hand-made frame is read by read_frame.
  write_raw(sp.fd[0], header(5) + "hello");
  auto r = read_frame(sp.fd[1], 100, 1000);
  CHECK(r.status == FrameStatus::ok);
  CHECK(r.payload == "hello");
}

TEST_CASE("an empty payload round-trips as an empty frame") {
  SocketPair sp;
  REQUIRE(write_frame(sp.fd[0], ""));
  REQUIRE(write_frame(sp.fd[0], "next"));
  auto empty = read_frame(sp.fd[1], 1024, 1000);
  CHECK(empty.status == FrameStatus::ok);
  CHECK(empty.payload.empty());
  // The following frame is still aligned.
  auto next = read_frame(sp.fd[1], 1024, 1000);
  CHECK(next.status == FrameStatus::ok);
  CHECK(next.payload == "next");
}

TEST_CASE("a 1 MiB frame written from another thread arrives intact") {
  SocketPair sp;
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = char('a' + i % 26);
  bool wrote = false;
  std::thread writer([&] { wrote = write_frame(sp.fd[0], big); });
  auto r = read_frame(sp.fd[1], 2 << 20, 10000);
  writer.join();
  CHECK(wrote);
  CHECK(r.status == FrameStatus::ok);
  CHECK(r.payload.size() == big.size());
  CHECK(r.payload == big);
}

TEST_CASE("a header announcing more than max_bytes is too_large") {
  SocketPair sp;
  write_raw(sp.fd[0], header(2000) + "xx");
  auto r = read_frame(sp.fd[1], 1000, 1000);
  CHECK(r.status == FrameStatus::too_large);
  CHECK(r.payload.empty());

  SocketPair huge;
  write_raw(huge.fd[0], header(0xffffffffu));
  CHECK(read_frame(huge.fd[1], 1 << 20, 1000).status == FrameStatus::too_large);

  // Exactly max_bytes is allowed.
  SocketPair exact;
  REQUIRE(write_frame(exact.fd[0], std::string(1000, 'x')));
  auto ok = read_frame(exact.fd[1], 1000, 1000);
  CHECK(ok.status == FrameStatus::ok);
  CHECK(ok.payload.size() == 1000);
}

TEST_CASE("a closed peer with no data is eof") {
  SocketPair sp;
  sp.close_end(0);
  CHECK(read_frame(sp.fd[1], 1024, 1000).status == FrameStatus::eof);
}

TEST_CASE("a frame cut short by the peer closing is io_error") {
  SUBCASE("payload truncated") {
    SocketPair sp;
    write_raw(sp.fd[0], header(10) + "abc");
    sp.close_end(0);
    auto r = read_frame(sp.fd[1], 1024, 1000);
    CHECK(r.status == FrameStatus::io_error);
    CHECK(r.payload.empty());
  }
  SUBCASE("header truncated") {
    SocketPair sp;
    write_raw(sp.fd[0], std::string("\0\0", 2));
    sp.close_end(0);
    CHECK(read_frame(sp.fd[1], 1024, 1000).status == FrameStatus::io_error);
  }
}

TEST_CASE("read_frame times out when no frame arrives") {
  SocketPair sp;
  auto start = std::chrono::steady_clock::now();
  auto r = read_frame(sp.fd[1], 1024, 50);
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(r.status == FrameStatus::timeout);
  CHECK(elapsed >= 40ms);  // not before its time; how long after is bench material

  // A partial frame that never completes times out as well.
  write_raw(sp.fd[0], header(10) + "abc");
  CHECK(read_frame(sp.fd[1], 1024, 50).status == FrameStatus::timeout);
}

TEST_CASE("read_frame returns interrupted when the wake fd becomes readable") {
  SUBCASE("already signalled") {
    SocketPair sp;
    CancelToken cancel;
    cancel.cancel();
    CHECK(read_frame(sp.fd[1], 1024, 5000, cancel.fd()).status == FrameStatus::interrupted);
  }
  SUBCASE("signalled while waiting without a timeout") {
    SocketPair sp;
    CancelToken cancel;
    std::thread canceller([&] {
      std::this_thread::sleep_for(50ms);
      cancel.cancel();
    });
    // Without a timeout, only the wake fd can end this read.
    auto r = read_frame(sp.fd[1], 1024, -1, cancel.fd());
    canceller.join();
    CHECK(r.status == FrameStatus::interrupted);
  }
  SUBCASE("a pipe works as a wake fd too") {
    SocketPair sp;
    int p[2];
    REQUIRE(::pipe(p) == 0);
    write_raw(p[1], "x");
    CHECK(read_frame(sp.fd[1], 1024, 5000, p[0]).status == FrameStatus::interrupted);
    ::close(p[0]);
    ::close(p[1]);
  }
}

TEST_CASE("write_frame fails when the peer is gone") {
  // The gateway ignores SIGPIPE; do the same so the failed write returns EPIPE.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  REQUIRE(::sigaction(SIGPIPE, &ignore, &old) == 0);
  SocketPair sp;
  sp.close_end(1);
  CHECK_FALSE(write_frame(sp.fd[0], "nobody listens"));
  ::sigaction(SIGPIPE, &old, nullptr);
}

TEST_CASE("a frame that arrives in pieces is reassembled, on a socket and on a pipe") {
  // Split inside the header and inside the payload: each piece is a
  // separate write, so the reader sees several short reads.
  const std::string wire = header(11) + "hello world";
  const std::vector<size_t> cuts = {1, 3, 4, 6, 15};
  auto send_in_pieces = [&](int fd) {
    size_t at = 0;
    for (size_t cut : cuts) {
      write_raw(fd, wire.substr(at, cut - at));
      at = cut;
      std::this_thread::sleep_for(5ms);  // let the reader take each piece alone
    }
  };
  SUBCASE("socket") {
    SocketPair sp;
    std::thread writer([&] { send_in_pieces(sp.fd[0]); });
    auto r = read_frame(sp.fd[1], 1024, 10000);
    writer.join();
    CHECK(r.status == FrameStatus::ok);
    CHECK(r.payload == "hello world");
  }
  SUBCASE("pipe") {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    std::thread writer([&] { send_in_pieces(p[1]); });
    auto r = read_frame(p[0], 1024, 10000);
    writer.join();
    CHECK(r.status == FrameStatus::ok);
    CHECK(r.payload == "hello world");
    ::close(p[0]);
    ::close(p[1]);
  }
}

TEST_CASE("a zero-length frame is accepted even with max_bytes 0, one byte more is not") {
  SocketPair sp;
  write_raw(sp.fd[0], header(0) + header(1) + "x");
  auto empty = read_frame(sp.fd[1], 0, 1000);
  CHECK(empty.status == FrameStatus::ok);
  CHECK(empty.payload.empty());
  CHECK(read_frame(sp.fd[1], 0, 1000).status == FrameStatus::too_large);
}

TEST_CASE("a header cut after one byte, then the peer closing, is io_error, not eof") {
  SocketPair sp;
  write_raw(sp.fd[0], std::string("\0", 1));
  sp.close_end(0);
  CHECK(read_frame(sp.fd[1], 1024, 1000).status == FrameStatus::io_error);
}
