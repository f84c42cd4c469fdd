// The toolgate command line: serve, validate, tools.
//
//   toolgate serve -c toolgate.yaml --stdio
//   toolgate validate -c toolgate.yaml
#pragma once

namespace toolgate {

int run_cli(int argc, char** argv);

}  // namespace toolgate
