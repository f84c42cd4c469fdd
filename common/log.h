// Structured logging to stderr: one JSON object per line, so stdout stays
// reserved for MCP messages on the stdio transport.
//
//   log::info("worker spawned", {{"pid", pid}, {"tool", name}});
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace toolgate::log {

enum class Level { debug = 0, info = 1, warning = 2, error = 3, off = 4 };

void set_level(Level l);
Level level();
// Parses "debug" | "info" | "warning" | "error" | "off"; false when unknown.
bool parse_level(std::string_view s, Level* out);

void write(Level l, std::string_view msg, const nlohmann::json& fields = nullptr);
inline void debug(std::string_view m, const nlohmann::json& f = nullptr) {
  write(Level::debug, m, f);
}
inline void info(std::string_view m, const nlohmann::json& f = nullptr) {
  write(Level::info, m, f);
}
inline void warn(std::string_view m, const nlohmann::json& f = nullptr) {
  write(Level::warning, m, f);
}
inline void error(std::string_view m, const nlohmann::json& f = nullptr) {
  write(Level::error, m, f);
}

}  // namespace toolgate::log
