#include "gateway/transport/request_framing.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace toolgate {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Methods cpp-httplib reads a body for: without a length, it would read
// until the client closes.
bool expects_body(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "PRI";
}

// What the head says about its body.
struct Framing {
  std::string_view method;
  int content_lengths = 0;
  std::string_view content_length;
  bool lengths_differ = false;
  int transfer_encodings = 0;
  std::string_view transfer_encoding;
};

Framing read_framing(std::string_view head) {
  Framing f;
  size_t eol = head.find('\n');
  std::string_view request_line = head.substr(0, eol);
  f.method = request_line.substr(0, request_line.find(' '));
  while (eol != std::string_view::npos && eol + 1 < head.size()) {
    size_t start = eol + 1;
    eol = head.find('\n', start);
    std::string_view line = head.substr(start, eol == std::string_view::npos ? eol : eol - start);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      if (f.content_lengths++ > 0 && value != f.content_length) f.lengths_differ = true;
      f.content_length = value;
    } else if (iequals(name, "Transfer-Encoding")) {
      f.transfer_encodings++;
      f.transfer_encoding = value;
    }
  }
  return f;
}

}  // namespace

void RequestFraming::begin() {
  phase_ = Phase::head;
  refusal_.reset();
  head_.clear();
  head_bytes_ = line_bytes_ = lines_ = 0;
  body_left_ = body_bytes_ = chunk_size_ = 0;
  chunk_digits_ = false;
}

bool RequestFraming::refuse(int status, std::string reason) {
  refusal_ = Refusal{status, std::move(reason)};
  phase_ = Phase::refused;
  return false;
}

size_t RequestFraming::admit(const char* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    switch (phase_) {
      case Phase::done:
      case Phase::refused:
        return i;
      case Phase::fixed_body: {
        size_t take = size_t(std::min<uint64_t>(body_left_, n - i));
        i += take;
        body_left_ -= take;
        if (body_left_ == 0) phase_ = Phase::done;
        continue;
      }
      case Phase::chunk_data: {
        size_t take = size_t(std::min<uint64_t>(body_left_, n - i));
        i += take;
        body_left_ -= take;
        if (body_left_ == 0) phase_ = Phase::data_cr;
        continue;
      }
      case Phase::head:
        if (!head_byte(p[i])) return i;
        break;
      case Phase::trailer:
        if (!trailer_byte(p[i])) return i;
        break;
      default:
        if (!chunk_byte(p[i])) return i;
        break;
    }
    ++i;
  }
  return i;
}

bool RequestFraming::head_byte(char c) {
  if (++head_bytes_ > limits_.max_header_bytes)
    return refuse(431, "Request Header Fields Too Large: the request's head exceeds " +
                           std::to_string(limits_.max_header_bytes) + " bytes");
  if (c != '\n') {
    head_.push_back(c);
    // A CR before the LF does not count against the line.
    if (++line_bytes_ > limits_.max_line_bytes + 1) {
      if (lines_ == 0)
        return refuse(414, "URI Too Long: the request line exceeds " +
                               std::to_string(limits_.max_line_bytes) + " bytes");
      return refuse(431, "Request Header Fields Too Large: a header line exceeds " +
                             std::to_string(limits_.max_line_bytes) + " bytes");
    }
    return true;
  }
  bool blank = line_bytes_ == 0 || (line_bytes_ == 1 && head_.back() == '\r');
  line_bytes_ = 0;
  if (blank && lines_ > 0) return choose_framing();
  head_.push_back(c);
  if (++lines_ > limits_.max_header_count + 1)
    return refuse(431, "Request Header Fields Too Large: more than " +
                           std::to_string(limits_.max_header_count) + " header lines");
  return true;
}

bool RequestFraming::choose_framing() {
  Framing f = read_framing(head_);
  if (f.transfer_encodings > 0) {
    if (f.content_lengths > 0)
      return refuse(400, "Bad Request: both Content-Length and Transfer-Encoding");
    if (f.transfer_encodings > 1 || !iequals(f.transfer_encoding, "chunked"))
      return refuse(501, "Not Implemented: the only Transfer-Encoding served is chunked");
    phase_ = Phase::chunk_size;
    return true;
  }
  if (f.content_lengths > 0) {
    std::string_view v = f.content_length;
    bool digits = !v.empty() && v.size() <= 18 &&
                  std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || f.lengths_differ) return refuse(400, "Bad Request: invalid Content-Length");
    body_left_ = std::stoull(std::string(v));
    if (body_left_ > limits_.max_body_bytes)
      return refuse(413, "Payload Too Large: the body of " + std::to_string(body_left_) +
                             " bytes exceeds the limit of " +
                             std::to_string(limits_.max_body_bytes));
    phase_ = body_left_ == 0 ? Phase::done : Phase::fixed_body;
    return true;
  }
  if (expects_body(f.method))
    return refuse(411,
                  "Length Required: a body needs Content-Length or chunked "
                  "Transfer-Encoding");
  // RFC 9112 6.3: a request with neither has no body.
  phase_ = Phase::done;
  return true;
}

bool RequestFraming::chunk_byte(char c) {
  if (++line_bytes_ > limits_.max_line_bytes)
    return refuse(400, "Bad Request: a chunk-size line exceeds " +
                           std::to_string(limits_.max_line_bytes) + " bytes");
  switch (phase_) {
    case Phase::chunk_size:
      if (int d = hex_digit(c); d >= 0) {
        chunk_size_ = chunk_size_ * 16 + uint64_t(d);
        chunk_digits_ = true;
        if (body_bytes_ + chunk_size_ > limits_.max_body_bytes)
          return refuse(413, "Payload Too Large: the chunked body exceeds the limit of " +
                                 std::to_string(limits_.max_body_bytes) + " bytes");
        return true;
      }
      if (!chunk_digits_) return refuse(400, "Bad Request: invalid chunk size");
      if (c == ';' || c == ' ' || c == '\t') {
        phase_ = Phase::chunk_ext;
        return true;
      }
      if (c == '\r') {
        phase_ = Phase::chunk_lf;
        return true;
      }
      return refuse(400, "Bad Request: invalid chunk size");
    case Phase::chunk_ext:
      if (c == '\r') phase_ = Phase::chunk_lf;
      return true;
    case Phase::chunk_lf:
      if (c != '\n') return refuse(400, "Bad Request: a chunk-size line must end in CRLF");
      line_bytes_ = 0;
      body_bytes_ += chunk_size_;
      body_left_ = chunk_size_;
      phase_ = chunk_size_ == 0 ? Phase::trailer : Phase::chunk_data;
      chunk_size_ = 0;
      chunk_digits_ = false;
      return true;
    case Phase::data_cr:
      if (c != '\r') return refuse(400, "Bad Request: a chunk's data must end in CRLF");
      phase_ = Phase::data_lf;
      return true;
    case Phase::data_lf:
      if (c != '\n') return refuse(400, "Bad Request: a chunk's data must end in CRLF");
      line_bytes_ = 0;
      phase_ = Phase::chunk_size;
      return true;
    default:
      return refuse(500, "Internal error: unexpected framing state");
  }
}

// Trailer lines after the last chunk, up to a blank line. They count
// against the head's limits: cpp-httplib keeps them as headers.
bool RequestFraming::trailer_byte(char c) {
  if (++head_bytes_ > limits_.max_header_bytes)
    return refuse(431, "Request Header Fields Too Large: the trailers exceed the head's " +
                           std::to_string(limits_.max_header_bytes) + " bytes");
  if (c != '\n') {
    if (++line_bytes_ > limits_.max_line_bytes + 1)
      return refuse(431, "Request Header Fields Too Large: a trailer line exceeds " +
                             std::to_string(limits_.max_line_bytes) + " bytes");
    last_byte_ = c;
    return true;
  }
  bool blank = line_bytes_ == 0 || (line_bytes_ == 1 && last_byte_ == '\r');
  line_bytes_ = 0;
  if (blank) {
    phase_ = Phase::done;
    return true;
  }
  if (++lines_ > limits_.max_header_count + 1)
    return refuse(431, "Request Header Fields Too Large: more than " +
                           std::to_string(limits_.max_header_count) + " header and trailer lines");
  return true;
}

}  // namespace toolgate
