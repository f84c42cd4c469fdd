// The sealed requestState of 2026-07-28 approval rounds
// (gateway/call/request_state.cc).
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "gateway/call/request_state.h"

using namespace toolgate;

TEST_CASE("a sealed state opens to its claims") {
  RequestStateSealer sealer;
  std::string s = sealer.seal({{"approval", "a1"}, {"caller", "alice"}}, 60000);
  auto claims = sealer.open(s);
  REQUIRE(claims);
  CHECK((*claims)["approval"] == "a1");
  CHECK((*claims)["caller"] == "alice");
}

TEST_CASE("a tampered, foreign or expired state is refused") {
  RequestStateSealer sealer;
  std::string s = sealer.seal({{"approval", "a1"}, {"caller", "alice"}}, 60000);
  CHECK_FALSE(sealer.open(s + "-TAMPERED"));
  CHECK_FALSE(sealer.open("x" + s));
  CHECK_FALSE(sealer.open(""));
  CHECK_FALSE(sealer.open("no-dot-at-all"));
  // The claims re-encoded with another caller, keeping the old tag.
  std::string tag = s.substr(s.find('.'));
  RequestStateSealer other;
  std::string forged = other.seal({{"approval", "a1"}, {"caller", "mallory"}}, 60000);
  CHECK_FALSE(sealer.open(forged));
  CHECK_FALSE(sealer.open(forged.substr(0, forged.find('.')) + tag));
  std::string brief = sealer.seal({{"approval", "a2"}}, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto expired = sealer.open(brief);
  REQUIRE_FALSE(expired);
  CHECK(expired.error().message.find("expired") != std::string::npos);
}

TEST_CASE("two gateways sharing a key open each other's states") {
  RequestStateSealer a(std::string(32, 'k')), b(std::string(32, 'k'));
  CHECK(b.open(a.seal({{"x", 1}}, 60000)));
}
