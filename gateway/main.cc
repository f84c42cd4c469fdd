#include "gateway/cli/cli.h"

int main(int argc, char** argv) { return toolgate::run_cli(argc, argv); }
