// doctest entry point for the unit tests. Gateway logs go to stderr; keep
// them to errors so test output stays readable.
#define DOCTEST_CONFIG_IMPLEMENT
#include "doctest_main.h"

#include "common/log.h"

int main(int argc, char** argv) {
  toolgate::log::set_level(toolgate::log::Level::error);
  return toolgate_tests::run_doctest(argc, argv);
}
