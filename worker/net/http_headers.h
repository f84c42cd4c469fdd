// Response headers as libcurl's header callback hands them over, one line
// per call: the status line, "Name: value" lines, a blank line; and again
// for each further response of one exchange (100 Continue, redirect hops),
// of which the last one's headers are kept. Pure: no libcurl, no I/O.
//
//   ResponseHeaders h;
//   h.feed("HTTP/1.1 200 OK\r\n");
//   h.feed("Content-Type: application/json\r\n");
//   h.status() == 200;  h.get("content-type") == "application/json";
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/json_limits.h"

namespace toolgate::worker {

// "HTTP/1.1 200 OK", "HTTP/2 404" -> the status code; nullopt for anything
// else (no "HTTP/" prefix, no three-digit code).
std::optional<int> parse_status_line(std::string_view line);

class ResponseHeaders {
 public:
  // An upstream cannot make the answer frame grow without bound: at most
  // this many names, each name and value cut to this many bytes.
  static constexpr size_t kMaxHeaders = 200;
  static constexpr size_t kMaxNameBytes = 256;
  static constexpr size_t kMaxValueBytes = 8192;

  // One line, with or without its CRLF. Names are lower-cased; a repeated
  // name joins its values with ", " (RFC 9110, 5.3); a line starting with
  // a space or tab continues the previous header's value (obsolete line
  // folding, RFC 9112, 5.2). Names and values come out as valid UTF-8.
  void feed(std::string_view line);

  int status() const { return status_; }
  const json& all() const { return headers_; }  // name -> value
  std::string get(const std::string& name) const { return headers_.value(name, ""); }

 private:
  // `continuation`: a folded line (joined with a space), else a repeat of the name (", ").
  void set(const std::string& name, std::string value, bool continuation);
  json headers_ = json::object();
  int status_ = 0;
  std::string last_;  // the name of the previous header line, for continuations
};

}  // namespace toolgate::worker
