// Reads the request head a sandboxed tool sends the worker's egress proxy
// (parse_proxy_request): the host and port it yields are what the broker checks against the
// allow-list, and the head it forwards goes to that host.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/text.h"
#include "fuzz_util.h"
#include "worker/net/proxy_request.h"

using namespace toolgate;
using namespace toolgate::worker;

namespace {

void check(const ProxyRequest& r, std::string_view head) {
  if (!r.ok()) {
    FUZZ_CHECK(r.error_status == 400 && !r.error.empty(), "refusal %d", r.error_status);
    return;
  }
  FUZZ_CHECK(!r.host.empty() && r.port > 0 && r.port < 65536, "port %d", r.port);
  size_t end = head.find("\r\n\r\n");
  FUZZ_CHECK(end != std::string_view::npos && r.after == head.substr(end + 4), "after");
  if (r.tunnel) {
    FUZZ_CHECK(r.forward.empty(), "a tunnel forwards a head");
    return;
  }
  FUZZ_CHECK(r.forward.size() >= 4 && r.forward.ends_with("\r\n\r\n"), "unterminated head");
  FUZZ_CHECK(r.forward.find("\r\n\r\n") == r.forward.size() - 4, "two heads in one");
  std::string_view lines(r.forward);
  lines.remove_prefix(lines.find("\r\n") + 2);
  while (lines.size() > 2) {
    size_t e = lines.find("\r\n");
    FUZZ_CHECK(ascii_lower(lines.substr(0, 6)) != "proxy-", "a Proxy-* header is forwarded");
    lines.remove_prefix(e + 2);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view head(reinterpret_cast<const char*>(data), size);
  ProxyRequest r = parse_proxy_request(head);
  check(r, head);
  // The proxy parses once the head is in, with whatever followed it.
  std::string more = std::string(head) + "GET http://other.example/ HTTP/1.1\r\n\r\n";
  ProxyRequest m = parse_proxy_request(more);
  check(m, more);
  if (head.find("\r\n\r\n") != std::string_view::npos) {
    FUZZ_CHECK(m.error_status == r.error_status && m.tunnel == r.tunnel && m.host == r.host &&
                   m.port == r.port && m.forward == r.forward,
               "bytes after the head changed how it reads");
  }
  std::string host;
  int port = 0;
  if (split_host_port(head, 80, &host, &port))
    FUZZ_CHECK(!host.empty() && port > 0 && port < 65536, "split_host_port: port %d", port);
  return 0;
}
