// The doctest entry point both test binaries share. A run whose filter
// matches no test case fails: ctest runs each case by name, and a name that
// doctest cannot match (one with a ';', which CMake splits lists on) would
// otherwise "pass" with nothing run.
//
//   #define DOCTEST_CONFIG_IMPLEMENT
//   #include "doctest_main.h"
//   int main(int argc, char** argv) { return run_doctest(argc, argv); }
#pragma once

#include <doctest/doctest.h>

#include <cstdio>

namespace toolgate_tests {

struct RunCount {
  bool ended = false;
  unsigned ran = 0;
};
inline RunCount& run_count() {
  static RunCount c;
  return c;
}

// Records how many test cases the run's filters let through.
struct CountingListener : public doctest::IReporter {
  explicit CountingListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    run_count().ended = true;
    run_count().ran = stats.numTestCasesPassingFilters;
  }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};
REGISTER_LISTENER("counting", 1, CountingListener);

inline int run_doctest(int argc, char** argv) {
  doctest::Context ctx(argc, argv);
  int rc = ctx.run();
  if (rc == 0 && run_count().ended && run_count().ran == 0 && !ctx.shouldExit()) {
    std::fprintf(stderr, "no test case matched the filters: nothing was tested\n");
    return 3;
  }
  return rc;
}

}  // namespace toolgate_tests
