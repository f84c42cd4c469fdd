// Response headers as the fetcher and the MCP bridge collect them
// (worker/net/http_headers.cc).
#include <doctest/doctest.h>

#include <string>

#include "worker/net/http_headers.h"

using namespace toolgate::worker;

TEST_CASE("status lines: HTTP/1.x and HTTP/2, with and without a reason phrase") {
  CHECK(parse_status_line("HTTP/1.1 200 OK\r\n") == 200);
  CHECK(parse_status_line("HTTP/1.0 404 Not Found") == 404);
  CHECK(parse_status_line("HTTP/2 503\r\n") == 503);
  CHECK(parse_status_line("HTTP/1.1 301") == 301);
  CHECK_FALSE(parse_status_line("HTTP/1.1 20 OK"));
  CHECK_FALSE(parse_status_line("HTTP/1.1 2000 OK"));
  CHECK_FALSE(parse_status_line("HTTP/1.1 abc OK"));
  CHECK_FALSE(parse_status_line("HTTP/1.1"));
  CHECK_FALSE(parse_status_line("http/1.1 200 OK"));
  CHECK_FALSE(parse_status_line("Content-Type: HTTP/1.1 200"));
  CHECK_FALSE(parse_status_line(""));
}

TEST_CASE("headers: names lower-cased, values trimmed, the blank line ignored") {
  ResponseHeaders h;
  h.feed("HTTP/1.1 200 OK\r\n");
  h.feed("Content-Type: application/json; charset=utf-8\r\n");
  h.feed("X-Empty:\r\n");
  h.feed("X-Spaces: \t padded value \t\r\n");
  h.feed("Date:Mon, 01 Jan 2024 00:00:00 GMT\r\n");
  h.feed("\r\n");
  CHECK(h.status() == 200);
  CHECK(h.get("content-type") == "application/json; charset=utf-8");
  CHECK(h.get("x-empty") == "");
  CHECK(h.all().contains("x-empty"));
  CHECK(h.get("x-spaces") == "padded value");
  CHECK(h.get("date") == "Mon, 01 Jan 2024 00:00:00 GMT");  // colons in the value stay
  CHECK(h.all().size() == 4);
}

TEST_CASE("a reason phrase with a colon is still a status line, not a header") {
  ResponseHeaders h;
  h.feed("HTTP/1.1 200 OK: fine\r\n");
  CHECK(h.status() == 200);
  CHECK(h.all().empty());
}

TEST_CASE("a new status line starts over: 100 Continue, then the real response") {
  ResponseHeaders h;
  h.feed("HTTP/1.1 100 Continue\r\n");
  h.feed("X-Interim: yes\r\n");
  h.feed("\r\n");
  h.feed("HTTP/1.1 201 Created\r\n");
  h.feed("Location: /items/7\r\n");
  CHECK(h.status() == 201);
  CHECK_FALSE(h.all().contains("x-interim"));
  CHECK(h.get("location") == "/items/7");
}

TEST_CASE("duplicate headers join with a comma, folded lines continue the value") {
  ResponseHeaders h;
  h.feed("HTTP/1.1 200 OK\r\n");
  h.feed("Vary: Accept\r\n");
  h.feed("vary: Accept-Encoding\r\n");
  h.feed("X-Folded: first part\r\n");
  h.feed("   second part\r\n");
  h.feed("\tthird part\r\n");
  h.feed("X-After: z\r\n");
  CHECK(h.get("vary") == "Accept, Accept-Encoding");
  CHECK(h.get("x-folded") == "first part second part third part");
  CHECK(h.get("x-after") == "z");
  // A continuation with nothing before it belongs to no header.
  ResponseHeaders orphan;
  orphan.feed("HTTP/1.1 200 OK\r\n");
  orphan.feed("  dangling: value\r\n");
  CHECK(orphan.all().empty());
}

TEST_CASE("huge headers are cut: values at 8 KiB, names at 256 bytes, 200 names at most") {
  ResponseHeaders h;
  h.feed("HTTP/1.1 200 OK\r\n");
  h.feed("X-Big: " + std::string(100000, 'v') + "\r\n");
  CHECK(h.get("x-big").size() == ResponseHeaders::kMaxValueBytes);
  // Repeating a header cannot grow it past the cap either.
  for (int i = 0; i < 10; ++i) h.feed("X-Big: more\r\n");
  CHECK(h.get("x-big").size() == ResponseHeaders::kMaxValueBytes);
  h.feed(std::string(1000, 'n') + ": v\r\n");
  CHECK(h.get(std::string(ResponseHeaders::kMaxNameBytes, 'n')) == "v");
  for (int i = 0; i < 500; ++i) h.feed("X-" + std::to_string(i) + ": v\r\n");
  CHECK(h.all().size() == ResponseHeaders::kMaxHeaders);
  // Values cut inside a character, and invalid bytes, still come out as UTF-8.
  ResponseHeaders u;
  u.feed("HTTP/1.1 200 OK\r\n");
  u.feed("X-Bin: \xff\xfe ok\r\n");
  CHECK(u.get("x-bin") == "\xEF\xBF\xBD\xEF\xBF\xBD ok");
}
