// Base64 (common/base64.cc): both alphabets, and that only the canonical
// form decodes where it must.
#include <doctest/doctest.h>

#include "common/base64.h"

using namespace toolgate;

TEST_CASE("base64 round-trips every length in both alphabets") {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    for (Base64 a : {Base64::standard, Base64::url}) {
      auto back = base64_decode(base64_encode(bytes, a), a);
      REQUIRE(back.has_value());
      CHECK(*back == bytes);
    }
    bytes += char(i * 37 + 251);
  }
}

TEST_CASE("base64 encodes the RFC 4648 test vectors") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("Hello") == "SGVsbG8=");
  CHECK(base64_encode("\xfb\xff", Base64::url) == "-_8");
  CHECK(base64_encode("\xfb\xff") == "+/8=");
}

TEST_CASE("standard base64 refuses missing padding, bad characters and stray bits") {
  CHECK(base64_decode("SGVsbG8=") == std::optional<std::string>("Hello"));
  CHECK_FALSE(base64_decode("SGVsbG8").has_value());      // padding missing
  CHECK_FALSE(base64_decode("SGVs!!!bG8=").has_value());  // not the alphabet
  CHECK_FALSE(base64_decode("SGVsbG9=").has_value());     // low bits set: not canonical
  CHECK_FALSE(base64_decode("S===").has_value());
  CHECK_FALSE(base64_decode("-_8=").has_value());  // the URL alphabet
}

TEST_CASE("lenient base64 takes unpadded input, url base64 refuses padding") {
  CHECK(base64_decode("SGVsbG8", Base64::standard_lenient) == std::optional<std::string>("Hello"));
  CHECK(base64_decode("SGVsbG9=", Base64::standard_lenient) == std::optional<std::string>("Hello"));
  CHECK_FALSE(base64_decode("-_8=", Base64::url).has_value());
  CHECK(base64_decode("-_8", Base64::url) == std::optional<std::string>("\xfb\xff"));
  CHECK_FALSE(base64_decode("+/8", Base64::url).has_value());
}
