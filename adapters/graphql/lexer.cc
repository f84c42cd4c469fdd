#include "adapters/graphql/lexer.h"

#include <vector>

#include "common/json_limits.h"

namespace toolgate::graphql {
namespace {

bool name_start(char c) { return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }
bool digit(char c) { return c >= '0' && c <= '9'; }

void append_utf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    *out += char(cp);
  } else if (cp < 0x800) {
    *out += char(0xC0 | (cp >> 6));
    *out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += char(0xE0 | (cp >> 12));
    *out += char(0x80 | ((cp >> 6) & 0x3F));
    *out += char(0x80 | (cp & 0x3F));
  } else {
    *out += char(0xF0 | (cp >> 18));
    *out += char(0x80 | ((cp >> 12) & 0x3F));
    *out += char(0x80 | ((cp >> 6) & 0x3F));
    *out += char(0x80 | (cp & 0x3F));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// The spec's BlockStringValue(): common indentation removed, leading and
// trailing blank lines dropped.
std::string dedent(const std::string& raw) {
  std::vector<std::string_view> lines;
  std::string_view s(raw);
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '\n' || s[i] == '\r') {
      lines.push_back(s.substr(start, i - start));
      if (i < s.size() && s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  size_t common = std::string_view::npos;
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t indent = lines[i].find_first_not_of(" \t");
    if (indent != std::string_view::npos && indent < common) common = indent;
  }
  if (common != std::string_view::npos)
    for (size_t i = 1; i < lines.size(); ++i)
      lines[i] = lines[i].size() >= common ? lines[i].substr(common) : std::string_view();
  size_t first = 0, last = lines.size();
  while (first < last && blank(lines[first])) ++first;
  while (last > first && blank(lines[last - 1])) --last;
  std::string out;
  for (size_t i = first; i < last; ++i) {
    if (i > first) out += '\n';
    out += lines[i];
  }
  return out;
}

}  // namespace

Lexer::Lexer(std::string_view source) : s_(source) {
  if (s_.substr(0, 3) == "\xEF\xBB\xBF") i_ = 3;  // a byte order mark is ignored
  cur_ = scan();
}

Token Lexer::next() {
  Token t = std::move(cur_);
  cur_ = scan();
  return t;
}

bool Lexer::accept(std::string_view punct) {
  if (!is_punct(punct)) return false;
  next();
  return true;
}

void Lexer::expect(std::string_view punct) {
  if (!accept(punct)) fail("expected '" + std::string(punct) + "'");
}

std::string Lexer::expect_name() {
  if (cur_.kind != Tok::name) fail("expected a name");
  return next().text;
}

bool Lexer::accept_keyword(std::string_view name) {
  if (!is_name(name)) return false;
  next();
  return true;
}

void Lexer::fail(const std::string& message) const {
  std::string found;
  switch (cur_.kind) {
    case Tok::eof:
      found = "the end of the input";
      break;
    case Tok::string_value:
      found = "a string";
      break;
    default:
      found = "'" + truncate_utf8(sanitize_utf8(cur_.text), 40) + "'";
  }
  throw SyntaxError(cur_.line, cur_.col, message + ", found " + found);
}

void Lexer::fail_at(const Token& t, const std::string& message) const {
  throw SyntaxError(t.line, t.col, message);
}

void Lexer::newline_at(size_t pos) {
  ++line_;
  line_start_ = pos + 1;
}

void Lexer::skip_ignored() {
  while (i_ < s_.size()) {
    char c = s_[i_];
    if (c == ' ' || c == '\t' || c == ',') {
      ++i_;
    } else if (c == '\n') {
      newline_at(i_++);
    } else if (c == '\r') {
      if (i_ + 1 < s_.size() && s_[i_ + 1] == '\n') ++i_;
      newline_at(i_++);
    } else if (c == '#') {
      while (i_ < s_.size() && s_[i_] != '\n' && s_[i_] != '\r') ++i_;
    } else if (s_.substr(i_, 3) == "\xEF\xBB\xBF") {
      i_ += 3;
    } else {
      break;
    }
  }
}

Token Lexer::scan() {
  skip_ignored();
  Token t;
  t.line = line_;
  t.col = int(i_ - line_start_) + 1;
  if (i_ >= s_.size()) return t;
  char c = s_[i_];
  if (s_.substr(i_, 3) == "...") {
    i_ += 3;
    t.kind = Tok::punct;
    t.text = "...";
  } else if (std::string_view("!$&()[]{}:=@|").find(c) != std::string_view::npos) {
    ++i_;
    t.kind = Tok::punct;
    t.text = std::string(1, c);
  } else if (name_start(c)) {
    size_t start = i_;
    while (i_ < s_.size() && name_char(s_[i_])) ++i_;
    t.kind = Tok::name;
    t.text = std::string(s_.substr(start, i_ - start));
  } else if (c == '-' || digit(c)) {
    bool is_float = false;
    t.text = read_number(t.line, t.col, &is_float);
    t.kind = is_float ? Tok::float_value : Tok::int_value;
  } else if (s_.substr(i_, 3) == "\"\"\"") {
    t.kind = Tok::string_value;
    t.block = true;
    t.text = read_block_string(t.line, t.col);
  } else if (c == '"') {
    t.kind = Tok::string_value;
    t.text = read_string(t.line, t.col);
  } else {
    unsigned char u = static_cast<unsigned char>(c);
    std::string shown = u >= 0x20 && u < 0x7F
                            ? "'" + std::string(1, c) + "'"
                            : "byte 0x" + std::string(1, "0123456789abcdef"[u >> 4]) +
                                  std::string(1, "0123456789abcdef"[u & 15]);
    throw SyntaxError(t.line, t.col, "unexpected character " + shown);
  }
  return t;
}

std::string Lexer::read_number(int line, int col, bool* is_float) {
  size_t start = i_;
  if (s_[i_] == '-') ++i_;
  if (i_ >= s_.size() || !digit(s_[i_])) throw SyntaxError(line, col, "invalid number");
  if (s_[i_] == '0' && i_ + 1 < s_.size() && digit(s_[i_ + 1]))
    throw SyntaxError(line, col, "invalid number: leading zero");
  while (i_ < s_.size() && digit(s_[i_])) ++i_;
  if (i_ < s_.size() && s_[i_] == '.') {
    *is_float = true;
    ++i_;
    if (i_ >= s_.size() || !digit(s_[i_])) throw SyntaxError(line, col, "invalid number");
    while (i_ < s_.size() && digit(s_[i_])) ++i_;
  }
  if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
    *is_float = true;
    ++i_;
    if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
    if (i_ >= s_.size() || !digit(s_[i_])) throw SyntaxError(line, col, "invalid number");
    while (i_ < s_.size() && digit(s_[i_])) ++i_;
  }
  // "123abc" and "1.2.3" are errors, not two tokens.
  if (i_ < s_.size() && (name_start(s_[i_]) || s_[i_] == '.'))
    throw SyntaxError(line, col, "invalid number");
  return std::string(s_.substr(start, i_ - start));
}

std::string Lexer::read_string(int line, int col) {
  std::string out;
  ++i_;  // the opening quote
  while (true) {
    if (i_ >= s_.size() || s_[i_] == '\n' || s_[i_] == '\r')
      throw SyntaxError(line, col, "unterminated string");
    unsigned char c = static_cast<unsigned char>(s_[i_]);
    if (c == '"') {
      ++i_;
      break;
    }
    if (c < 0x20 && c != '\t') {
      throw SyntaxError(line_, int(i_ - line_start_) + 1, "control character in a string");
    }
    if (c != '\\') {
      out += char(c);
      ++i_;
      continue;
    }
    if (i_ + 1 >= s_.size()) throw SyntaxError(line, col, "unterminated string");
    char e = s_[i_ + 1];
    i_ += 2;
    switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        auto read_hex = [&](size_t n, uint32_t* v) {
          *v = 0;
          for (size_t k = 0; k < n; ++k) {
            int h = i_ + k < s_.size() ? hex_value(s_[i_ + k]) : -1;
            if (h < 0) return false;
            *v = *v * 16 + uint32_t(h);
          }
          i_ += n;
          return true;
        };
        uint32_t cp = 0;
        if (i_ < s_.size() && s_[i_] == '{') {  // \u{1F600}, GraphQL 2021+
          size_t close = s_.find('}', i_);
          if (close == std::string_view::npos || close - i_ < 2 || close - i_ > 7)
            throw SyntaxError(line, col, "invalid unicode escape");
          ++i_;
          if (!read_hex(close - i_, &cp)) throw SyntaxError(line, col, "invalid unicode escape");
          ++i_;
        } else if (!read_hex(4, &cp)) {
          throw SyntaxError(line, col, "invalid unicode escape");
        }
        if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(i_, 2) == "\\u") {
          size_t save = i_;
          i_ += 2;
          uint32_t lo = 0;
          if (read_hex(4, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else {
            i_ = save;
          }
        }
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
          throw SyntaxError(line, col, "invalid unicode escape (not a scalar value)");
        append_utf8(&out, cp);
        break;
      }
      default:
        throw SyntaxError(line, col, std::string("invalid escape \\") + e);
    }
  }
  return out;
}

std::string Lexer::read_block_string(int line, int col) {
  std::string raw;
  i_ += 3;
  while (true) {
    if (i_ >= s_.size()) throw SyntaxError(line, col, "unterminated block string");
    if (s_.substr(i_, 3) == "\"\"\"") {
      i_ += 3;
      break;
    }
    if (s_.substr(i_, 4) == "\\\"\"\"") {
      raw += "\"\"\"";
      i_ += 4;
      continue;
    }
    char c = s_[i_];
    if (c == '\n' || (c == '\r' && !(i_ + 1 < s_.size() && s_[i_ + 1] == '\n'))) {
      raw += c;
      newline_at(i_++);
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\r')
      throw SyntaxError(line_, int(i_ - line_start_) + 1, "control character in a block string");
    raw += c;
    ++i_;
  }
  return dedent(raw);
}

std::string quote(std::string_view s) { return dump_safe(json(std::string(s))); }

}  // namespace toolgate::graphql
