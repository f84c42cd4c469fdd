// The bounds on one HTTP/1.1 request's input, checked byte by byte as the
// request arrives and before cpp-httplib sees it (bounded_server.h).
//
// Debian's cpp-httplib 0.11.4 caps only a body that has a Content-Length.
// It reads a chunked body, or a POST with no length at all, whole into
// memory, and keeps any number of header lines. RequestFraming tracks where
// the request's head ends, which framing its body uses (RFC 9112 section 6),
// and where that body ends, so the stream in front of cpp-httplib can hand
// it only what is allowed and answer the rest itself.
//
//   RequestFraming f(limits);
//   f.begin();                                  // a new request on the connection
//   size_t ok = f.admit(buf, n);                // a prefix of buf may pass
//   if (ok < n && f.refusal()) answer(f.refusal()->status, f.refusal()->reason);
//   if (f.complete()) ...                       // later bytes are the next request's
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace toolgate {

struct HttpLimits {
  size_t max_body_bytes = 4 << 20;     // decoded body, whatever its framing
  size_t max_header_bytes = 64 << 10;  // request line, headers and chunked trailers
  size_t max_header_count = 100;       // header lines (trailer lines count too)
  size_t max_line_bytes = 8 << 10;     // the request line, and each header line
  uint64_t header_timeout_ms = 10000;  // from a request's first byte to its blank line
  uint64_t body_timeout_ms = 60000;    // from the blank line to the body's last byte
};

// Why a request is not served, as an HTTP status and a sentence for the client.
struct Refusal {
  int status;
  std::string reason;
};

class RequestFraming {
 public:
  explicit RequestFraming(HttpLimits limits) : limits_(limits) {}

  // Starts the next request on the connection.
  void begin();
  // How many of the `n` bytes at `p` belong to this request and are allowed.
  // Fewer than `n` when the request ends there (complete()) or is refused
  // at that byte (refusal()); then nothing more is admitted until begin().
  size_t admit(const char* p, size_t n);

  const std::optional<Refusal>& refusal() const { return refusal_; }
  // The request's last byte (its head, or its body's) has been admitted.
  bool complete() const { return phase_ == Phase::done; }
  bool in_head() const { return phase_ == Phase::head; }
  bool started() const { return head_bytes_ > 0; }

 private:
  enum class Phase {
    head,
    fixed_body,
    chunk_size,
    chunk_ext,
    chunk_lf,
    chunk_data,
    data_cr,
    data_lf,
    trailer,
    done,
    refused
  };

  // Each returns false to stop admitting at the current byte.
  bool head_byte(char c);
  bool chunk_byte(char c);
  bool trailer_byte(char c);
  // At the head's blank line: picks the body's framing, or refuses.
  bool choose_framing();
  bool refuse(int status, std::string reason);

  const HttpLimits limits_;
  Phase phase_ = Phase::head;
  std::optional<Refusal> refusal_;
  std::string head_;         // the head so far, at most max_header_bytes
  size_t head_bytes_ = 0;    // head and trailer bytes of this request
  size_t line_bytes_ = 0;    // of the current line, without its LF
  size_t lines_ = 0;         // request line and header lines so far
  uint64_t body_left_ = 0;   // of a Content-Length body, or of the current chunk
  uint64_t body_bytes_ = 0;  // decoded body so far
  uint64_t chunk_size_ = 0;  // of the chunk-size line being read
  bool chunk_digits_ = false;
  char last_byte_ = 0;  // of a trailer line, to tell a blank one
};

}  // namespace toolgate
