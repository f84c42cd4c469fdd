// The shared write loop (common/io.cc).
#include <doctest/doctest.h>

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "common/io.h"

using namespace toolgate;
using namespace std::chrono_literals;

namespace {

void on_signal(int) {}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = char('a' + (i * 7) % 26);
  return s;
}

}  // namespace

TEST_CASE("write_all gets 8 MiB through a pipe whose reader is slow, despite signals") {
  // A signal handler without SA_RESTART makes a blocked write(2) fail with
  // EINTR (or return short); write_all must carry on either way.
  struct sigaction sa {
  }, old{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  REQUIRE(::sigaction(SIGUSR1, &sa, &old) == 0);
  int p[2];
  REQUIRE(::pipe(p) == 0);
  const std::string data = pattern(8 << 20);
  std::string got;
  std::thread reader([&] {
    char buf[65536];
    for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) {
      got.append(buf, size_t(n));
      std::this_thread::sleep_for(100us);
    }
  });
  std::atomic<bool> done{false};
  pthread_t writer_thread = pthread_self();
  std::thread pester([&] {
    while (!done) {
      pthread_kill(writer_thread, SIGUSR1);
      std::this_thread::sleep_for(200us);
    }
  });
  bool ok = write_all(p[1], data.data(), data.size());
  done = true;
  pester.join();
  ::close(p[1]);
  reader.join();
  ::close(p[0]);
  ::sigaction(SIGUSR1, &old, nullptr);
  CHECK(ok);
  CHECK(got.size() == data.size());
  CHECK(got == data);
}

TEST_CASE("write_all fails on a closed pipe and on a bad descriptor") {
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  REQUIRE(::sigaction(SIGPIPE, &ignore, &old) == 0);
  int p[2];
  REQUIRE(::pipe(p) == 0);
  ::close(p[0]);
  CHECK_FALSE(write_all(p[1], "x"));
  CHECK(errno == EPIPE);
  ::close(p[1]);
  ::sigaction(SIGPIPE, &old, nullptr);
  CHECK_FALSE(write_all(-1, "x"));
  CHECK(write_all(-1, ""));  // nothing to write is not an error
}

TEST_CASE("send_all to a socket whose peer is gone fails without SIGPIPE") {
  // SIGPIPE keeps its default action here: were it raised, the test
  // process would die.
  struct sigaction dfl {
  }, old{};
  dfl.sa_handler = SIG_DFL;
  REQUIRE(::sigaction(SIGPIPE, &dfl, &old) == 0);
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  CHECK(send_all(sv[0], "hello"));
  char buf[8];
  CHECK(::read(sv[1], buf, sizeof buf) == 5);
  ::close(sv[1]);
  CHECK_FALSE(send_all(sv[0], "nobody"));
  CHECK(errno == EPIPE);
  ::close(sv[0]);
  ::sigaction(SIGPIPE, &old, nullptr);
}
