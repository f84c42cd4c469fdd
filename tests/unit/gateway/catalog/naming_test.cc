// Catalog names and globs (gateway/catalog/naming.cc).
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "gateway/catalog/naming.h"

using namespace toolgate;

TEST_CASE("sanitize_name replaces characters outside [A-Za-z0-9_-] with underscores") {
  CHECK(sanitize_name("get pet/{id}") == "get_pet__id_");
  CHECK(sanitize_name("Already_ok-123") == "Already_ok-123");
  CHECK(sanitize_name("a.b:c") == "a_b_c");
  CHECK(sanitize_name("") == "_");
  // Each byte of a multibyte character becomes one underscore.
  CHECK(sanitize_name("caf\xC3\xA9") == "caf__");
  CHECK(sanitize_name(std::string("a\0b", 3)) == "a_b");
}

TEST_CASE("valid_tool_name accepts 1 to 64 characters of [A-Za-z0-9_-]") {
  CHECK(valid_tool_name("a"));
  CHECK(valid_tool_name("notes__add_note"));
  CHECK(valid_tool_name("Z-9_z"));
  CHECK(valid_tool_name(std::string(64, 'x')));
  CHECK_FALSE(valid_tool_name(""));
  CHECK_FALSE(valid_tool_name(std::string(65, 'x')));
  CHECK_FALSE(valid_tool_name("has space"));
  CHECK_FALSE(valid_tool_name("dot.ted"));
  CHECK_FALSE(valid_tool_name("slash/name"));
  CHECK_FALSE(valid_tool_name("caf\xC3\xA9"));
  // Whatever sanitize_name produces from short input is valid.
  CHECK(valid_tool_name(sanitize_name("get pet/{id}")));
  CHECK(valid_tool_name(sanitize_name("")));
}

TEST_CASE("fit_name leaves names of up to 64 characters alone") {
  CHECK(fit_name("short") == "short");
  std::string exact(64, 'q');
  CHECK(fit_name(exact) == exact);
}

TEST_CASE("fit_name shortens long names to 64 characters with a hash suffix") {
  std::string long_name(80, 'n');
  std::string fitted = fit_name(long_name);
  CHECK(fitted.size() == kMaxToolName);
  CHECK(valid_tool_name(fitted));
  CHECK(fitted.substr(0, 55) == long_name.substr(0, 55));
  CHECK(fitted[55] == '_');
  CHECK(fitted.substr(56) == short_hash(long_name, 8));
  CHECK(fitted.substr(56).find_first_not_of("0123456789abcdef") == std::string::npos);
  // Deterministic: the same input always gives the same name.
  CHECK(fit_name(long_name) == fitted);
  // 65 characters is already too long.
  CHECK(fit_name(std::string(65, 'a')).size() == kMaxToolName);
  CHECK(fit_name(std::string(65, 'a')) != std::string(64, 'a'));
}

TEST_CASE("fit_name keeps long names with a shared 55-character prefix apart") {
  std::string prefix(55, 'p');
  std::set<std::string> seen;
  for (const char* tail : {"_alpha_operation_name", "_beta_operation_name", "_gamma", "_gammb"}) {
    std::string fitted = fit_name(prefix + tail + std::string(20, 'z'));
    CHECK(fitted.size() == kMaxToolName);
    CHECK(fitted.substr(0, 55) == prefix);
    seen.insert(fitted);
  }
  CHECK(seen.size() == 4);
}

TEST_CASE("short_hash returns lowercase hex digits of SHA-256") {
  // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
  CHECK(short_hash("abc", 8) == "ba7816bf");
  CHECK(short_hash("abc", 7) == "ba7816b");
  CHECK(short_hash("abc", 64) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(short_hash("abc", 100).size() == 64);
  CHECK(short_hash("abd", 8) != short_hash("abc", 8));
}

TEST_CASE("glob_match supports star and question mark") {
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*", "anything at all"));
  CHECK(glob_match("http://localhost:*", "http://localhost:3000"));
  CHECK_FALSE(glob_match("http://localhost:*", "http://evil.example"));
  CHECK(glob_match("*.example.com", "api.example.com"));
  CHECK_FALSE(glob_match("*.example.com", "example.com"));
  CHECK(glob_match("a?c", "abc"));
  CHECK_FALSE(glob_match("a?c", "ac"));
  CHECK_FALSE(glob_match("a?c", "abbc"));
  CHECK(glob_match("a*b*c", "a-x-b-y-c"));
  CHECK_FALSE(glob_match("a*b*c", "a-x-c-y-b"));
  CHECK(glob_match("exact", "exact"));
  CHECK_FALSE(glob_match("exact", "exactly"));
  CHECK_FALSE(glob_match("exactly", "exact"));
  CHECK(glob_match("notes__*", "notes__add_note"));
  CHECK_FALSE(glob_match("notes__*", "other__add_note"));
  CHECK(glob_match("**", "x"));
}

TEST_CASE("glob_match with an empty pattern matches only the empty string") {
  CHECK(glob_match("", ""));
  CHECK_FALSE(glob_match("", "a"));
  CHECK_FALSE(glob_match("?", ""));
}

TEST_CASE("glob_match decides pathological patterns correctly") {
  // How long these take is measured by bench_policy ("glob_match,
  // pathological"), not asserted here: a backtracking matcher would hang
  // this test until ctest's timeout.
  std::string s(10000, 'a');
  CHECK_FALSE(glob_match("a*a*a*a*a*a*b", s));
  CHECK(glob_match("a*a*a*a*a*a*a", s));
  CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*a*a*b*", s));
}
