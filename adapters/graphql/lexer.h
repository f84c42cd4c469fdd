// GraphQL's lexical grammar (spec section 2.1), shared by the SDL parser
// and the executable-document parser. Input is untrusted: every error is a
// SyntaxError with a 1-based line and column, never a crash, and strings
// come out decoded (escapes resolved, block strings dedented).
//
//   Lexer lx(text);
//   while (!lx.at_end()) {
//     if (lx.accept("{")) ...;
//     std::string n = lx.expect_name();
//   }
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace toolgate::graphql {

class SyntaxError : public std::runtime_error {
 public:
  SyntaxError(int line, int col, const std::string& message)
      : std::runtime_error(message), line(line), col(col) {}
  int line, col;
};

enum class Tok { eof, punct, name, int_value, float_value, string_value };

struct Token {
  Tok kind = Tok::eof;
  std::string text;    // punctuator, name, number as written, or the decoded string
  bool block = false;  // a """block string"""
  int line = 1, col = 1;
};

class Lexer {
 public:
  explicit Lexer(std::string_view source);

  const Token& peek() const { return cur_; }
  Token next();
  bool at_end() const { return cur_.kind == Tok::eof; }
  bool is_punct(std::string_view p) const { return cur_.kind == Tok::punct && cur_.text == p; }
  bool is_name(std::string_view n) const { return cur_.kind == Tok::name && cur_.text == n; }
  // Consumes the punctuator when it is next.
  bool accept(std::string_view punct);
  void expect(std::string_view punct);
  std::string expect_name();
  // Consumes the keyword (a name) when it is next.
  bool accept_keyword(std::string_view name);
  // "message, found 'x'" at the next token: for what the grammar expected.
  [[noreturn]] void fail(const std::string& message) const;
  // "message" at `t`: for what is wrong with something already read.
  [[noreturn]] void fail_at(const Token& t, const std::string& message) const;

 private:
  Token scan();
  void skip_ignored();
  std::string read_string(int line, int col);
  std::string read_block_string(int line, int col);
  std::string read_number(int line, int col, bool* is_float);
  void newline_at(size_t pos);

  std::string_view s_;
  size_t i_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;
  Token cur_;
};

// Quotes and escapes a string as a GraphQL string literal.
std::string quote(std::string_view s);

}  // namespace toolgate::graphql
