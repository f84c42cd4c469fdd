// The egress proxy's reading of a request head (worker/net/egress_proxy.h):
// where the tool wants to go, and what to send there once the broker has
// connected it. Pure: no sockets.
//
//   ProxyRequest r = parse_proxy_request("CONNECT api.example:443 HTTP/1.1\r\n\r\n");
//   r.ok() && r.tunnel && r.host == "api.example" && r.port == 443
//   ProxyRequest g = parse_proxy_request("GET http://[::1]:8080/x HTTP/1.1\r\nHost: a\r\n\r\n");
//   g.host == "::1" && g.port == 8080 && g.forward == "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"
#pragma once

#include <string>
#include <string_view>

namespace toolgate::worker {

struct ProxyRequest {
  int error_status = 0;  // 0 when usable; else the HTTP status to refuse it with
  std::string error;     // why, for the refusal's body
  bool tunnel = false;   // CONNECT: bytes are relayed as they are
  std::string host;      // an IPv6 literal without its brackets
  int port = 0;
  std::string forward;  // absolute-form requests: the origin-form head for the upstream
  std::string after;    // what followed the head (early tunnel or body bytes)
  bool ok() const { return error_status == 0; }
};

// `head` holds at least the whole head, up to and including "\r\n\r\n".
// CONNECT host:port (443 when absent) becomes a tunnel; an absolute-form
// http:// request is rewritten to origin form with its Proxy-* headers
// dropped; anything else (origin form, https:// URLs, credentials in the
// URL, a bad port) is refused with 400.
ProxyRequest parse_proxy_request(std::string_view head);

// "host:port" or "[v6]:port" -> host (brackets removed), port (`default_port`
// when absent). False on an empty host, a bad or out-of-range port, an
// unclosed bracket.
bool split_host_port(std::string_view s, int default_port, std::string* host, int* port);

}  // namespace toolgate::worker
