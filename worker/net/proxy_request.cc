#include "worker/net/proxy_request.h"
#include "common/text.h"

#include <cctype>

namespace toolgate::worker {
namespace {

ProxyRequest refuse(const char* why) {
  ProxyRequest r;
  r.error_status = 400;
  r.error = why;
  return r;
}

// The head's header lines, minus Proxy-* ones: those are for the proxy.
std::string upstream_headers(std::string_view lines) {
  std::string out;
  while (!lines.empty()) {
    size_t e = lines.find("\r\n");
    std::string_view h = lines.substr(0, e);
    lines.remove_prefix(e == std::string_view::npos ? lines.size() : e + 2);
    if (ascii_lower(h.substr(0, 6)) != "proxy-") out.append(h).append("\r\n");
  }
  return out;
}

}  // namespace

bool split_host_port(std::string_view s, int default_port, std::string* host, int* port) {
  std::string_view h = s, p;
  if (!h.empty() && h[0] == '[') {
    auto close = h.find(']');
    if (close == std::string_view::npos) return false;
    if (close + 1 < h.size()) {
      if (h[close + 1] != ':') return false;  // "[::1]junk"
      p = h.substr(close + 2);
    }
    h = h.substr(1, close - 1);
  } else if (auto colon = h.rfind(':'); colon != std::string_view::npos) {
    p = h.substr(colon + 1);
    h = h.substr(0, colon);
  }
  if (h.empty()) return false;
  int n = default_port;
  if (!p.empty() || s.ends_with(':')) {
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string_view::npos)
      return false;
    n = std::stoi(std::string(p));
  }
  if (n <= 0 || n >= 65536) return false;
  *host = std::string(h);
  *port = n;
  return true;
}

ProxyRequest parse_proxy_request(std::string_view head) {
  const size_t end = head.find("\r\n\r\n");
  const size_t line_end = head.find("\r\n");
  if (end == std::string_view::npos) return refuse("incomplete request head");
  std::string_view line = head.substr(0, line_end);
  auto sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return refuse("malformed request line");
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  ProxyRequest r;
  r.after = std::string(head.substr(end + 4));
  if (method == "CONNECT") {
    if (!split_host_port(target, 443, &r.host, &r.port)) return refuse("CONNECT needs host:port");
    r.tunnel = true;
    return r;
  }
  if (target.substr(0, 7) != "http://") return refuse("only http:// URLs and CONNECT are proxied");
  std::string_view rest = target.substr(7);
  // The authority ends at the path, the query or the fragment.
  size_t cut = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, cut);
  std::string path = cut == std::string_view::npos ? "/" : std::string(rest.substr(cut));
  if (path[0] != '/') path.insert(0, "/");
  if (authority.find('@') != std::string_view::npos ||
      !split_host_port(authority, 80, &r.host, &r.port))
    return refuse("bad URL authority");
  // Origin-form request line; proxy headers stay with the proxy.
  std::string_view lines =
      line_end < end ? head.substr(line_end + 2, end - line_end - 2) : std::string_view();
  r.forward = std::string(method) + " " + path + " " + std::string(version) + "\r\n" +
              upstream_headers(lines) + "\r\n";
  return r;
}

}  // namespace toolgate::worker
