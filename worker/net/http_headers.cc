#include "worker/net/http_headers.h"
#include "common/text.h"

#include <cctype>

namespace toolgate::worker {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<int> parse_status_line(std::string_view line) {
  if (line.substr(0, 5) != "HTTP/") return std::nullopt;
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || line.size() < sp + 4) return std::nullopt;
  std::string_view code = line.substr(sp + 1, 3);
  for (char c : code)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  if (line.size() > sp + 4 && !is_space(line[sp + 4]) && line[sp + 4] != '\r' &&
      line[sp + 4] != '\n')
    return std::nullopt;  // "HTTP/1.1 2000": not a three-digit code
  return (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
}

void ResponseHeaders::set(const std::string& name, std::string value, bool continuation) {
  auto it = headers_.find(name);
  if (it == headers_.end()) {
    if (headers_.size() >= kMaxHeaders) return;
    headers_[name] = sanitize_utf8(truncate_utf8(value, kMaxValueBytes));
    return;
  }
  std::string joined = it->get<std::string>() + (continuation ? " " : ", ") + value;
  *it = sanitize_utf8(truncate_utf8(joined, kMaxValueBytes));
}

void ResponseHeaders::feed(std::string_view line) {
  if (auto code = parse_status_line(line)) {
    // A new response (after 100 Continue, or the next hop): its headers only.
    headers_ = json::object();
    status_ = *code;
    last_.clear();
    return;
  }
  if (!line.empty() && is_space(line.front())) {
    std::string_view more = trim(line);
    if (!last_.empty() && !more.empty()) set(last_, std::string(more), /*continuation=*/true);
    return;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    last_.clear();  // the blank line ending the head, or junk
    return;
  }
  std::string name = ascii_lower(trim(line.substr(0, colon)));
  if (name.empty()) return;
  name = sanitize_utf8(truncate_utf8(name, kMaxNameBytes));
  set(name, std::string(trim(line.substr(colon + 1))), /*continuation=*/false);
  last_ = headers_.contains(name) ? name : "";
}

}  // namespace toolgate::worker
