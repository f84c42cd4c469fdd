// The egress proxy's request parsing (worker/net/proxy_request.cc).
#include <doctest/doctest.h>

#include <string>

#include "worker/net/proxy_request.h"

using namespace toolgate::worker;

TEST_CASE("CONNECT host:port becomes a tunnel, the port defaults to 443") {
  auto r = parse_proxy_request("CONNECT api.example.com:8443 HTTP/1.1\r\nHost: x\r\n\r\nEARLY");
  REQUIRE(r.ok());
  CHECK(r.tunnel);
  CHECK(r.host == "api.example.com");
  CHECK(r.port == 8443);
  CHECK(r.forward.empty());
  CHECK(r.after == "EARLY");  // bytes sent ahead of the 200 go on as they are
  auto d = parse_proxy_request("CONNECT api.example.com HTTP/1.1\r\n\r\n");
  REQUIRE(d.ok());
  CHECK(d.port == 443);
}

TEST_CASE("IPv6 literals lose their brackets, in CONNECT and in URLs") {
  auto c = parse_proxy_request("CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n");
  REQUIRE(c.ok());
  CHECK(c.host == "2001:db8::1");
  CHECK(c.port == 443);
  auto g = parse_proxy_request("GET http://[::1]:8080/x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
  REQUIRE(g.ok());
  CHECK(g.host == "::1");
  CHECK(g.port == 8080);
  auto bare = parse_proxy_request("GET http://[::1]/ HTTP/1.1\r\n\r\n");
  REQUIRE(bare.ok());
  CHECK(bare.port == 80);
}

TEST_CASE("absolute-form GET becomes origin form, Proxy-* headers stay behind") {
  auto r = parse_proxy_request(
      "GET http://example.com:8080/a/b?c=1 HTTP/1.1\r\n"
      "Host: example.com:8080\r\n"
      "Proxy-Authorization: Basic eA==\r\n"
      "proxy-connection: keep-alive\r\n"
      "Accept: */*\r\n"
      "\r\n"
      "body");
  REQUIRE(r.ok());
  CHECK_FALSE(r.tunnel);
  CHECK(r.host == "example.com");
  CHECK(r.port == 8080);
  CHECK(r.forward ==
        "GET /a/b?c=1 HTTP/1.1\r\n"
        "Host: example.com:8080\r\n"
        "Accept: */*\r\n"
        "\r\n");
  CHECK(r.after == "body");
}

TEST_CASE("a URL without a path gets /, the authority ends at ? and #") {
  auto plain = parse_proxy_request("GET http://example.com HTTP/1.0\r\n\r\n");
  REQUIRE(plain.ok());
  CHECK(plain.port == 80);
  CHECK(plain.forward == "GET / HTTP/1.0\r\n\r\n");
  auto query = parse_proxy_request("GET http://example.com?q=1 HTTP/1.1\r\n\r\n");
  REQUIRE(query.ok());
  CHECK(query.host == "example.com");
  CHECK(query.forward == "GET /?q=1 HTTP/1.1\r\n\r\n");
}

TEST_CASE("bad requests are refused with 400 and say why") {
  struct Case {
    const char* head;
    const char* why;
  };
  for (auto [head, why] : {
           Case{"GARBAGE\r\n\r\n", "malformed request line"},
           Case{"GET\r\n\r\n", "malformed request line"},
           Case{"GET /relative HTTP/1.1\r\n\r\n", "only http:// URLs and CONNECT are proxied"},
           Case{"GET https://example.com/ HTTP/1.1\r\n\r\n",
                "only http:// URLs and CONNECT are proxied"},
           Case{"GET http://user:pw@example.com/ HTTP/1.1\r\n\r\n", "bad URL authority"},
           Case{"GET http://example.com:99999/ HTTP/1.1\r\n\r\n", "bad URL authority"},
           Case{"GET http://example.com:8x/ HTTP/1.1\r\n\r\n", "bad URL authority"},
           Case{"GET http://:80/ HTTP/1.1\r\n\r\n", "bad URL authority"},
           Case{"GET http://example.com:/ HTTP/1.1\r\n\r\n", "bad URL authority"},
           Case{"CONNECT [::1 HTTP/1.1\r\n\r\n", "CONNECT needs host:port"},
           Case{"CONNECT [::1]junk HTTP/1.1\r\n\r\n", "CONNECT needs host:port"},
           Case{"CONNECT host:0 HTTP/1.1\r\n\r\n", "CONNECT needs host:port"},
           Case{"CONNECT :443 HTTP/1.1\r\n\r\n", "CONNECT needs host:port"},
           Case{"CONNECT host:443 HTTP/1.1\r\n", "incomplete request head"},
       }) {
    CAPTURE(head);
    auto r = parse_proxy_request(head);
    CHECK_FALSE(r.ok());
    CHECK(r.error_status == 400);
    CHECK(r.error == why);
  }
}

TEST_CASE("split_host_port on its own") {
  std::string host;
  int port = 0;
  CHECK(split_host_port("a.b:1", 9, &host, &port));
  CHECK(host == "a.b");
  CHECK(port == 1);
  CHECK(split_host_port("a.b", 9, &host, &port));
  CHECK(port == 9);
  CHECK(split_host_port("[fe80::1]:65535", 9, &host, &port));
  CHECK(host == "fe80::1");
  CHECK(port == 65535);
  CHECK_FALSE(split_host_port("a.b:65536", 9, &host, &port));
  CHECK_FALSE(split_host_port("a.b:-1", 9, &host, &port));
  CHECK_FALSE(split_host_port("[]:80", 9, &host, &port));
  CHECK_FALSE(split_host_port("", 9, &host, &port));
}
