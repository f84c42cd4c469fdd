// RequestFraming (gateway/transport/request_framing.cc): where a request's
// head and body end, and which requests are refused at which byte.
#include <doctest/doctest.h>

#include <string>

#include "gateway/transport/request_framing.h"

using namespace toolgate;

namespace {

HttpLimits small_limits() {
  HttpLimits l;
  l.max_body_bytes = 100;
  l.max_header_bytes = 512;
  l.max_header_count = 4;
  l.max_line_bytes = 128;
  return l;
}

// Feeds `input` in pieces of `step` bytes, as a socket might deliver it;
// returns how many bytes were admitted.
size_t feed(RequestFraming& f, const std::string& input, size_t step = 1) {
  size_t at = 0;
  while (at < input.size()) {
    size_t n = std::min(step, input.size() - at);
    size_t took = f.admit(input.data() + at, n);
    at += took;
    if (took < n) break;
  }
  return at;
}

int refused_with(const std::string& input, size_t step = 1) {
  RequestFraming f(small_limits());
  f.begin();
  feed(f, input, step);
  return f.refusal() ? f.refusal()->status : 0;
}

}  // namespace

TEST_CASE("framing: a Content-Length body ends at its last byte and the next request waits") {
  for (size_t step : {1, 7, 4096}) {
    RequestFraming f(small_limits());
    f.begin();
    std::string req = "POST /mcp HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
    size_t took = feed(f, req + "GET / HTTP/1.1\r\n\r\n", step);
    CHECK(took == req.size());
    CHECK(f.complete());
    CHECK_FALSE(f.refusal());
  }
}

TEST_CASE("framing: a request without a body is complete at its blank line") {
  RequestFraming f(small_limits());
  f.begin();
  std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  CHECK(feed(f, req + "more") == req.size());
  CHECK(f.complete());
  f.begin();
  CHECK_FALSE(f.complete());
  CHECK(f.in_head());
}

TEST_CASE("framing: a chunked body is followed to its last chunk and trailers") {
  for (size_t step : {1, 3, 4096}) {
    RequestFraming f(small_limits());
    f.begin();
    std::string req =
        "POST /mcp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: y\r\n\r\n";
    CHECK(feed(f, req + "GET", step) == req.size());
    CHECK(f.complete());
  }
}

TEST_CASE("framing: a chunked body is refused with 413 once its decoded size passes the limit") {
  std::string head = "POST /mcp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  CHECK(refused_with(head + "64\r\n" + std::string(100, 'a') + "\r\n0\r\n\r\n") == 0);
  CHECK(refused_with(head + "65\r\n") == 413);  // 101 announced: refused before its data
  std::string many;
  for (int i = 0; i < 101; ++i) many += "1\r\na\r\n";
  RequestFraming f(small_limits());
  f.begin();
  size_t took = feed(f, head + many);
  REQUIRE(f.refusal());
  CHECK(f.refusal()->status == 413);
  CHECK(took < head.size() + many.size());
  CHECK(refused_with(head + "fffffffffffffffffffffff\r\n") == 413);  // no overflow
}

TEST_CASE("framing: malformed chunks are 400") {
  std::string head = "POST /mcp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  CHECK(refused_with(head + "zz\r\n") == 400);
  CHECK(refused_with(head + "5\r\nhelloXX") == 400);
  CHECK(refused_with(head + "5\n") == 400);
  CHECK(refused_with(head + std::string(200, '0')) == 400);  // size line too long
}

TEST_CASE("framing: Content-Length over the limit is 413 at the blank line") {
  RequestFraming f(small_limits());
  f.begin();
  std::string head = "POST /mcp HTTP/1.1\r\nContent-Length: 101\r\n\r\n";
  size_t took = feed(f, head, 4096);
  REQUIRE(f.refusal());
  CHECK(f.refusal()->status == 413);
  CHECK(took == head.size() - 1);  // the blank line's LF is never handed on
  CHECK(f.refusal()->reason.find("101") != std::string::npos);
}

TEST_CASE("framing: bodies without a length and ambiguous framing") {
  CHECK(refused_with("POST /mcp HTTP/1.1\r\nHost: x\r\n\r\n") == 411);
  CHECK(refused_with("PUT /mcp HTTP/1.1\r\n\r\n") == 411);
  CHECK(refused_with("DELETE /mcp HTTP/1.1\r\nHost: x\r\n\r\n") == 0);  // no body
  CHECK(refused_with(
            "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(refused_with("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n") == 400);
  CHECK(refused_with("POST / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n") == 0);
  CHECK(refused_with("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == 400);
  CHECK(refused_with("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n") == 400);
  CHECK(refused_with("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501);
  CHECK(refused_with("POST / HTTP/1.1\r\ntransfer-encoding: CHUNKED\r\n\r\n0\r\n\r\n") == 0);
}

TEST_CASE("framing: head limits are 414 and 431 and hold without a newline") {
  CHECK(refused_with("GET /" + std::string(200, 'a') + " HTTP/1.1\r\n\r\n") == 414);
  CHECK(refused_with("GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n") == 431);
  CHECK(refused_with("GET / HTTP/1.1\r\nX: " + std::string(100000, 'a'), 4096) == 431);
  std::string four = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 4; ++i) four += "H" + std::to_string(i) + ": v\r\n";
  CHECK(refused_with(four + "\r\n") == 0);
  CHECK(refused_with(four + "H5: v\r\n\r\n") == 431);
  std::string big = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 4; ++i) big += "H: " + std::string(120, 'b') + "\r\n";
  CHECK(refused_with(big + "\r\n") == 431);  // 512 bytes of head in all
  std::string trailers = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  for (int i = 0; i < 5; ++i) trailers += "T: v\r\n";
  CHECK(refused_with(trailers + "\r\n") == 431);
}

TEST_CASE("framing: nothing is admitted after a refusal until the next request") {
  RequestFraming f(small_limits());
  f.begin();
  feed(f, "POST /mcp HTTP/1.1\r\n\r\n");
  REQUIRE(f.refusal());
  CHECK(f.admit("GET", 3) == 0);
  f.begin();
  CHECK_FALSE(f.refusal());
  CHECK(f.admit("GET", 3) == 3);
}
