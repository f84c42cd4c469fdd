// Bounded JSON parsing and UTF-8 hygiene (common/json_limits.cc).
#include <doctest/doctest.h>

#include <string>

#include "common/json_limits.h"

using namespace toolgate;

namespace {
const std::string kFFFD = "\xEF\xBF\xBD";

// True when `s` is well-formed UTF-8 (sanitizing it changes nothing and
// introduces no replacement characters that were not already there).
bool well_formed(const std::string& s) { return sanitize_utf8(s) == s; }
}  // namespace

TEST_CASE("json_depth counts nesting of arrays and objects") {
  CHECK(json_depth("1", 10) == 0);
  CHECK(json_depth("[]", 10) == 1);
  CHECK(json_depth("{\"a\":[1,{}]}", 10) == 3);
  CHECK(json_depth("[[],[[]],[]]", 10) == 3);
  // Closing brackets bring the depth back down: siblings do not add up.
  CHECK(json_depth("[][][][][]", 10) == 1);
}

TEST_CASE("json_depth ignores brackets inside strings") {
  CHECK(json_depth("\"[[[[{{{{\"", 10) == 0);
  CHECK(json_depth("[\"]]]]\", [\"{{{\"]]", 10) == 2);
  // An escaped quote does not end the string, so the brackets after it are text.
  CHECK(json_depth("[\"a\\\"[[[[\"]", 10) == 1);
  // An escaped backslash does end before the quote, so the string closes.
  CHECK(json_depth("[\"a\\\\\",[[]]]", 10) == 3);
}

TEST_CASE("json_depth stops once the limit is exceeded") {
  CHECK(json_depth(std::string(1000, '['), 5) == 6);
  CHECK(json_depth("[[[]]]", 3) == 3);
  CHECK(json_depth("[[[[]]]]", 3) == 4);
}

TEST_CASE("parse_bounded rejects 100000 nested brackets without recursing") {
  std::string deep(100000, '[');
  auto r = parse_bounded(deep, 64);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == rpc::kParseError);
  CHECK(r.error().message.find("64") != std::string::npos);

  // Balanced but deep documents are rejected too.
  std::string balanced = std::string(100000, '[') + std::string(100000, ']');
  auto b = parse_bounded(balanced, 64);
  REQUIRE_FALSE(b);
  CHECK(b.error().code == rpc::kParseError);
}

TEST_CASE("parse_bounded accepts documents at the depth limit and parses them") {
  std::string at_limit = std::string(64, '[') + std::string(64, ']');
  auto ok = parse_bounded(at_limit, 64);
  REQUIRE(ok);
  CHECK(ok->is_array());

  std::string over = std::string(65, '[') + std::string(65, ']');
  CHECK_FALSE(parse_bounded(over, 64));

  auto obj = parse_bounded(R"({"a": [1, 2, {"b": "x"}]})", 64);
  REQUIRE(obj);
  CHECK((*obj)["a"][2]["b"] == "x");
}

TEST_CASE("parse_bounded reports invalid JSON as a parse error") {
  for (const char* bad : {"", "{", "[1,2", "{\"a\":}", "{\"a\":1} trailing", "nul", "'x'"}) {
    CAPTURE(bad);
    auto r = parse_bounded(bad, 64);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == rpc::kParseError);
  }
}

TEST_CASE("parse_bounded rejects invalid UTF-8 inside a JSON string") {
  SUBCASE("stray continuation byte") { CHECK_FALSE(parse_bounded("\"a\x80z\"", 64)); }
  SUBCASE("0xFF byte") { CHECK_FALSE(parse_bounded("{\"k\":\"\xFF\"}", 64)); }
  SUBCASE("overlong encoding of '/'") { CHECK_FALSE(parse_bounded("[\"\xC0\xAF\"]", 64)); }
  SUBCASE("encoded surrogate") { CHECK_FALSE(parse_bounded("\"\xED\xA0\x80\"", 64)); }
  SUBCASE("valid multibyte text is accepted") {
    auto r = parse_bounded("\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"", 64);
    REQUIRE(r);
    CHECK(r->get<std::string>() == "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80");
  }
}

TEST_CASE("sanitize_utf8 replaces invalid sequences with U+FFFD") {
  SUBCASE("overlong two-byte form") {
    std::string out = sanitize_utf8("a\xC0\xAFz");
    CHECK(out.front() == 'a');
    CHECK(out.back() == 'z');
    CHECK(out.find(kFFFD) != std::string::npos);
    CHECK(out.find('\xC0') == std::string::npos);
    CHECK(well_formed(out));
  }
  SUBCASE("overlong three-byte form of NUL") {
    std::string out = sanitize_utf8("\xE0\x80\x80");
    CHECK(out.find(kFFFD) != std::string::npos);
    CHECK(out.find('\xE0') == std::string::npos);
  }
  SUBCASE("UTF-16 surrogate encoded in UTF-8") {
    std::string out = sanitize_utf8("x\xED\xA0\x80y");
    CHECK(out.find('\xED') == std::string::npos);
    CHECK(out.substr(0, 1) == "x");
    CHECK(out.back() == 'y');
    CHECK(out.find(kFFFD) != std::string::npos);
  }
  SUBCASE("code point above U+10FFFF") {
    std::string out = sanitize_utf8("\xF4\x90\x80\x80");
    CHECK(out.find('\xF4') == std::string::npos);
    CHECK(out.find(kFFFD) != std::string::npos);
  }
  SUBCASE("sequence truncated at the end of the input") {
    std::string out = sanitize_utf8("ab\xE2\x82");
    CHECK(out.substr(0, 2) == "ab");
    CHECK(out.find('\xE2') == std::string::npos);
    CHECK(out.find(kFFFD) != std::string::npos);
    CHECK(well_formed(out));
  }
  SUBCASE("sequence cut short by an ASCII byte keeps the ASCII byte") {
    std::string out = sanitize_utf8("\xE2\x82Z");
    CHECK(out.back() == 'Z');
    CHECK(out.find('\xE2') == std::string::npos);
  }
  SUBCASE("lone 0xFF") { CHECK(sanitize_utf8("\xFF") == kFFFD); }
}

TEST_CASE("sanitize_utf8 keeps valid text byte for byte") {
  const std::string text =
      "plain ASCII, caf\xC3\xA9, \xE2\x82\xAC 5, \xF0\x9F\x98\x80, \xEF\xBF\xBF";
  CHECK(sanitize_utf8(text) == text);
  CHECK(sanitize_utf8("") == "");
  // U+FFFD itself is valid and stays as it is.
  CHECK(sanitize_utf8(kFFFD) == kFFFD);
}

TEST_CASE("truncate_utf8 never splits a multibyte sequence") {
  const std::string s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀 : 1+2+3+4 bytes
  CHECK(truncate_utf8(s, 100) == s);
  CHECK(truncate_utf8(s, s.size()) == s);
  CHECK(truncate_utf8(s, 0) == "");
  CHECK(truncate_utf8(s, 1) == "a");
  CHECK(truncate_utf8(s, 2) == "a");  // would split é
  CHECK(truncate_utf8(s, 3) == "a\xC3\xA9");
  CHECK(truncate_utf8(s, 4) == "a\xC3\xA9");  // would split €
  CHECK(truncate_utf8(s, 5) == "a\xC3\xA9");
  CHECK(truncate_utf8(s, 6) == "a\xC3\xA9\xE2\x82\xAC");
  CHECK(truncate_utf8(s, 9) == "a\xC3\xA9\xE2\x82\xAC");  // would split 😀
  for (size_t n = 0; n <= s.size(); ++n) {
    CAPTURE(n);
    std::string t = truncate_utf8(s, n);
    CHECK(t.size() <= n);
    CHECK(well_formed(t));
    CHECK(s.compare(0, t.size(), t) == 0);
  }
}

TEST_CASE("dump_safe serializes strings with invalid UTF-8 instead of throwing") {
  json j = {{"text", std::string("ok\xFF\xFE"
                                 "end")},
            {"n", 1}};
  CHECK_THROWS(j.dump());  // the plain serializer would throw here
  std::string out;
  CHECK_NOTHROW(out = dump_safe(j));
  CHECK(out.find("ok" + kFFFD) != std::string::npos);
  CHECK(out.find("end") != std::string::npos);
  CHECK(out.find('\xFF') == std::string::npos);
  // The output is valid JSON again.
  auto back = json::parse(out);
  CHECK(back["n"] == 1);

  json clean = {{"a", "h\xC3\xA9"}};
  CHECK(dump_safe(clean) == clean.dump());
}
