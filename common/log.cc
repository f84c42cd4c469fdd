#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>

#include "common/io.h"
#include "common/json_limits.h"

namespace toolgate::log {
namespace {
std::atomic<Level> g_level{Level::info};
std::mutex g_mu;

const char* name(Level l) {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warning:
      return "warning";
    case Level::error:
      return "error";
    case Level::off:
      return "off";
  }
  return "info";
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms.count()));
  return buf;
}
}  // namespace

void set_level(Level l) { g_level.store(l); }
Level level() { return g_level.load(); }

bool parse_level(std::string_view s, Level* out) {
  for (Level l : {Level::debug, Level::info, Level::warning, Level::error, Level::off}) {
    if (s == name(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

void write(Level l, std::string_view msg, const nlohmann::json& fields) {
  if (l < g_level.load() || l == Level::off) return;
  nlohmann::json line = {{"ts", timestamp()}, {"level", name(l)}, {"msg", msg}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  std::string s = dump_safe(line);
  s += '\n';
  std::lock_guard<std::mutex> lock(g_mu);
  // One write per line so concurrent processes sharing stderr don't interleave.
  (void)write_all(2, s);
}

}  // namespace toolgate::log
