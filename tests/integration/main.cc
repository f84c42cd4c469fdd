// doctest entry point for the integration tests.
#define DOCTEST_CONFIG_IMPLEMENT
#include "doctest_main.h"

int main(int argc, char** argv) { return toolgate_tests::run_doctest(argc, argv); }
