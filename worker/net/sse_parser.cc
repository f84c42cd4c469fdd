#include "worker/net/sse_parser.h"

#include <algorithm>

namespace toolgate::worker {

bool SseParser::feed(std::string_view bytes, size_t max_pending, const OnEvent& on_event) {
  if (too_big_) return false;
  buf_.append(bytes);
  size_t start = 0;
  for (size_t nl; (nl = buf_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(buf_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      on_event(event_, data_);
      data_.clear();
      event_.clear();
    } else if (line.substr(0, 6) == "event:") {
      line.remove_prefix(line.size() > 6 && line[6] == ' ' ? 7 : 6);
      event_ = std::string(line.substr(0, 64));
    } else if (line.substr(0, 5) == "data:") {
      line.remove_prefix(line.size() > 5 && line[5] == ' ' ? 6 : 5);
      if (!data_.empty()) data_ += '\n';
      data_.append(line);
    }
  }
  buf_.erase(0, start);
  if (buf_.size() + data_.size() > max_pending) too_big_ = true;
  return !too_big_;
}

std::optional<std::string> endpoint_url(const std::string& url, const std::string& where) {
  if (std::any_of(where.begin(), where.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return std::nullopt;
  std::string origin = url.substr(0, url.find('/', url.find("://") + 3));
  std::string full = !where.empty() && where[0] == '/' ? origin + where : where;
  if (full.compare(0, origin.size() + 1, origin + "/") != 0) return std::nullopt;
  return full;
}

}  // namespace toolgate::worker
