// Bounded HTTP input (gateway/transport/bounded_server.cc): hostile framing
// and slow clients, on raw sockets to the real binary. Each case checks the
// status, that the gateway still answers, and that its peak RSS stayed
// within kRssBoundKb of what it was before the attack.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "harness.h"

using namespace th;

namespace {

// Each attack would cost hundreds of megabytes if it were buffered.
constexpr long kRssBoundKb = 48 * 1024;

const char* kConfig =
    "server:\n"
    "  max_body_bytes: 1048576\n"
    "  max_header_bytes: 65536\n"
    "  max_header_count: 100\n"
    "  header_timeout_ms: 1000\n"
    "  body_timeout_ms: 1000\n"
    "sources:\n  - name: s\n    type: script\n    tools:\n"
    "      - name: echo\n        command: [cat]\n        input_schema: {type: object}\n";

long peak_rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long kb = 0;
  while (in >> key) {
    if (key == "VmHWM:") {
      in >> kb;
      return kb;
    }
    std::getline(in, key);
  }
  return 0;
}

// One client connection on a raw socket: it sends what a test writes, byte
// for byte, and stops sending as soon as the gateway has answered.
class RawConn {
 public:
  explicit RawConn(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~RawConn() { ::close(fd_); }

  // False once the gateway has answered or closed (nothing more is sent).
  bool send(const std::string& bytes) {
    if (answered()) return false;
    size_t at = 0;
    while (at < bytes.size()) {
      pollfd p{fd_, POLLOUT | POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0 || (p.revents & (POLLIN | POLLERR | POLLHUP))) return false;
      ssize_t n = ::send(fd_, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return false;
      at += size_t(n);
    }
    return true;
  }
  bool answered() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }
  // Everything the gateway sends until it closes or `ms` pass.
  std::string read_all(int ms = 10000) {
    std::string out;
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    char buf[65536];
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, size_t(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
};

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::atoi(response.c_str() + 9);
}

struct LimitsFixture {
  TempDir dir;
  std::unique_ptr<Gateway> gw = Gateway::http(dir.file("c.yaml", kConfig));
  long rss_before = peak_rss_kb(gw->pid());

  void check_still_serving() {
    McpHttp m(gw->port());
    CHECK(m.get("/healthz").status == 200);
    CHECK(m.initialize()["result"]["protocolVersion"] == "2025-11-25");
    long grew = peak_rss_kb(gw->pid()) - rss_before;
    CHECK_MESSAGE(grew < kRssBoundKb, "peak RSS grew by " << grew << " kB");
  }
};

const std::string kPostHead =
    "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    "Accept: application/json, text/event-stream\r\n";

}  // namespace

TEST_CASE("http limits: a chunked body past max_body_bytes is refused with 413 while it arrives") {
  LimitsFixture f;
  RawConn c(f.gw->port());
  REQUIRE(c.send(kPostHead + "Transfer-Encoding: chunked\r\n\r\n"));
  std::string chunk = "10000\r\n" + std::string(0x10000, ' ') + "\r\n";
  size_t sent = 0;
  while (sent < (101u << 20) && c.send(chunk)) sent += 0x10000;
  CHECK(sent < (8u << 20));  // stopped long before 101 MB
  std::string r = c.read_all();
  CHECK(status_of(r) == 413);
  CHECK(r.find("Payload Too Large") != std::string::npos);
  CHECK(r.find("\"jsonrpc\":\"2.0\"") != std::string::npos);
  f.check_still_serving();
}

TEST_CASE("http limits: a chunked body within the limit is served") {
  LimitsFixture f;
  std::string body = request("initialize", {{"protocolVersion", "2025-06-18"},
                                            {"capabilities", json::object()},
                                            {"clientInfo", {{"name", "t"}, {"version", "1"}}}})
                         .dump();
  std::string chunked;
  for (size_t at = 0; at < body.size(); at += 7) {
    std::string piece = body.substr(at, 7);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", piece.size());
    chunked += std::string(size) + "\r\n" + piece + "\r\n";
  }
  RawConn c(f.gw->port());
  REQUIRE(c.send(kPostHead + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked +
                 "0\r\n\r\n"));
  std::string r = c.read_all();
  CHECK(status_of(r) == 200);
  CHECK(r.find("\"protocolVersion\":\"2025-06-18\"") != std::string::npos);
}

TEST_CASE("http limits: a POST without Content-Length or chunking gets 411 at once") {
  LimitsFixture f;
  RawConn c(f.gw->port());
  REQUIRE(c.send(kPostHead + "\r\n"));
  // The client keeps its side open: before, the gateway read until it closed.
  for (int i = 0; i < 64 && c.send(std::string(1 << 20, 'x')); ++i) {
  }
  std::string r = c.read_all();
  CHECK(status_of(r) == 411);
  CHECK(r.find("Length Required") != std::string::npos);
  f.check_still_serving();
}

TEST_CASE("http limits: a Content-Length past the limit is 413 before the body is read") {
  LimitsFixture f;
  RawConn c(f.gw->port());
  REQUIRE(c.send(kPostHead + "Content-Length: 104857600\r\n\r\n"));
  std::string r = c.read_all();
  CHECK(status_of(r) == 413);
  CHECK(r.find("104857600") != std::string::npos);
  f.check_still_serving();
}

TEST_CASE("http limits: 10000 headers of 8 KB get 431 and are not kept") {
  LimitsFixture f;
  RawConn c(f.gw->port());
  REQUIRE(c.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  std::string header = "X-Filler: " + std::string(8000, 'h') + "\r\n";
  int sent = 0;
  while (sent < 10000 && c.send(header)) ++sent;
  // The kernel's socket buffers take a few megabytes before the answer is
  // seen; the gateway itself keeps none of it (the RSS check below).
  CHECK(sent < 10000);
  std::string r = c.read_all();
  CHECK(status_of(r) == 431);
  f.check_still_serving();
}

TEST_CASE("http limits: many small headers, one huge header and a huge request line") {
  LimitsFixture f;
  {
    RawConn c(f.gw->port());
    std::string head = "GET /healthz HTTP/1.1\r\n";
    for (int i = 0; i < 101; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
    c.send(head + "\r\n");
    CHECK(status_of(c.read_all()) == 431);
  }
  {
    RawConn c(f.gw->port());
    c.send("GET /healthz HTTP/1.1\r\nX-Big: ");
    for (int i = 0; i < 16 && c.send(std::string(65536, 'b')); ++i) {
    }
    CHECK(status_of(c.read_all()) == 431);
  }
  {
    RawConn c(f.gw->port());
    c.send("GET /" + std::string(20000, 'p') + " HTTP/1.1\r\n\r\n");
    CHECK(status_of(c.read_all()) == 414);
  }
  f.check_still_serving();
}

TEST_CASE("http limits: a head that trickles in past header_timeout_ms gets 408") {
  LimitsFixture f;
  RawConn c(f.gw->port());
  REQUIRE(c.send("GET /healthz HTTP/1.1\r\n"));
  // A byte every 100 ms never lets a per-read timeout fire; the deadline
  // for the whole head does.
  for (int i = 0; i < 100 && c.send("X"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string r = c.read_all();
  CHECK(status_of(r) == 408);
  CHECK(r.find("head took longer than 1000 ms") != std::string::npos);
  f.check_still_serving();
}

TEST_CASE("http limits: a body that stalls past body_timeout_ms gets 408") {
  LimitsFixture f;
  RawConn c(f.gw->port());
  REQUIRE(c.send(kPostHead + "Content-Length: 100\r\n\r\n{\"jsonrpc\""));
  std::string r = c.read_all();
  CHECK(status_of(r) == 408);
  CHECK(r.find("body took longer than 1000 ms") != std::string::npos);
  f.check_still_serving();
}

TEST_CASE("http limits: keep-alive and pipelined requests still work") {
  LimitsFixture f;
  RawConn c(f.gw->port());
  std::string get = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(
      c.send(get + get + "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
  std::string r = c.read_all();
  size_t answers = 0;
  for (size_t at = r.find("HTTP/1.1 200"); at != std::string::npos;
       at = r.find("HTTP/1.1 200", at + 1))
    ++answers;
  CHECK(answers == 3);
}

TEST_CASE("http limits: smuggling-shaped framing is refused") {
  LimitsFixture f;
  {
    RawConn c(f.gw->port());
    c.send(kPostHead + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    CHECK(status_of(c.read_all()) == 400);
  }
  {
    RawConn c(f.gw->port());
    c.send(kPostHead + "Transfer-Encoding: gzip\r\n\r\n");
    CHECK(status_of(c.read_all()) == 501);
  }
  f.check_still_serving();
}
