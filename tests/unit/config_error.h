// Shared by the unit tests that expect a config to be rejected.
#pragma once

#include <string>

#include "gateway/config/yaml_json.h"

// Runs `f` and returns the ConfigError's message ("" when nothing was thrown).
template <typename F>
std::string config_error(F&& f) {
  try {
    f();
  } catch (const toolgate::ConfigError& e) {
    return e.what();
  }
  return "";
}
