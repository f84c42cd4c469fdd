// text/event-stream as the MCP HTTP bridge reads it (mcp_http_bridge.cc):
// "event:" names the event (cut to 64 bytes), "data:" lines accumulate,
// joined by '\n', and a blank line ends the event; other lines (comments,
// id:, retry:) are ignored. Lines end in LF or CRLF. No I/O, so the fuzz
// target (tests/fuzz/sse_fuzz.cc) drives it directly: the bytes come from
// an upstream server, hostile or not.
//
//   SseParser sse;
//   bool ok = sse.feed(bytes, max_message, [&](const std::string& event, const std::string& data) {
//     if (event == "endpoint") ...; else if (!data.empty()) emit_text(data);
//   });
//   if (!ok) ...   // the pending line and data outgrew max_message: stop the transfer
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace toolgate::worker {

class SseParser {
 public:
  using OnEvent = std::function<void(const std::string& event, const std::string& data)>;

  // Takes the next bytes of the stream and calls `on_event` at each blank
  // line (event and data may be empty). False once what is pending (an
  // unfinished line and an event's data) outgrows `max_pending`, and from
  // then on.
  bool feed(std::string_view bytes, size_t max_pending, const OnEvent& on_event);
  bool too_big() const { return too_big_; }

 private:
  bool too_big_ = false;
  std::string buf_, data_, event_;
};

// The legacy HTTP+SSE transport's endpoint event: a path, or a URL on the
// origin of `url` (the configured server). The URL to POST to, or nullopt
// for anything else: another origin would get the session's messages, and
// a control character would make another request line.
std::optional<std::string> endpoint_url(const std::string& url, const std::string& where);

}  // namespace toolgate::worker
