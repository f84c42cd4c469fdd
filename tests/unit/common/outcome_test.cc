// Outcomes and end reasons, and their strict wire form in WorkResult.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "common/outcome.h"
#include "common/work_order.h"

using namespace toolgate;

TEST_CASE("every end reason has a distinct name that parses back to it") {
  std::set<std::string> names;
  for (EndReason r : all_end_reasons()) {
    std::string n(to_string(r));
    CAPTURE(n);
    CHECK(end_reason_from_string(n) == r);
    CHECK(names.insert(n).second);
  }
  CHECK(names.size() == all_end_reasons().size());
  CHECK(names.count("none"));
  CHECK(names.count("exec_failed"));
  CHECK(names.count("setup_failed"));
  CHECK(names.count("gateway_gone"));
  CHECK_FALSE(end_reason_from_string("exec failed"));
  CHECK_FALSE(end_reason_from_string(""));
  CHECK_FALSE(end_reason_from_string("EXEC_FAILED"));
}

TEST_CASE("a WorkResult round-trips its reason, an unknown or missing reason is refused") {
  WorkResult r;
  r.outcome = Outcome::spawn_failure;
  r.reason = EndReason::exec_failed;
  r.detail = "exec /nope: No such file or directory";
  json j = r.to_json();
  CHECK(j["reason"] == "exec_failed");
  auto back = WorkResult::from_json(j, 1024);
  REQUIRE(back);
  CHECK(back->outcome == Outcome::spawn_failure);
  CHECK(back->reason == EndReason::exec_failed);
  CHECK(back->detail == r.detail);

  json unknown = j;
  unknown["reason"] = "because";
  auto bad = WorkResult::from_json(unknown, 1024);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "malformed worker frame: unknown reason");

  json missing = j;
  missing.erase("reason");
  CHECK_FALSE(WorkResult::from_json(missing, 1024));
  json wrong_type = j;
  wrong_type["reason"] = 3;
  CHECK_FALSE(WorkResult::from_json(wrong_type, 1024));
}

TEST_CASE("the detail is carried, but a reason never comes from it") {
  WorkResult r;
  r.outcome = Outcome::tool_error;
  r.detail = "exec failed";  // text a tool could have chosen
  auto back = WorkResult::from_json(r.to_json(), 1024);
  REQUIRE(back);
  CHECK(back->reason == EndReason::none);
}
