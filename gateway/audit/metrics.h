// Prometheus text exposition (version 0.0.4) of the gateway's counters,
// written by hand: a few families do not justify prometheus-cpp.
//
//   server.metrics().call("notes__add", "allow", "ok", 0.012);
//   server.metrics().worker_end(result.reason);   // once per WorkerPool::run
//   res.set_content(server.metrics().render(extra_gauges), "text/plain; version=0.0.4");
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/outcome.h"

namespace toolgate {

class Metrics {
 public:
  // A finished (or refused) call. `seconds` < 0: it was never dispatched.
  void call(const std::string& tool, const std::string& decision, const std::string& outcome,
            double seconds);
  void approval(const std::string& result);  // approved | declined | timeout | cancelled
  void reload(bool ok);
  // Why a worker run ended (WorkResult::reason), for every run that reached
  // the pool: toolgate_worker_end_reasons_total{reason=...}.
  void worker_end(EndReason reason);

  struct Sample {
    std::string name, help, type;  // type: counter | gauge
    double value;
  };
  // The whole exposition, with `extra` samples (pool and session figures)
  // appended.
  std::string render(const std::vector<Sample>& extra) const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::array<std::string, 3>, uint64_t> calls_;  // tool, decision, outcome
  std::map<std::string, Histogram> latency_;              // by tool
  std::map<std::string, uint64_t> approvals_;
  uint64_t reloads_ok_ = 0, reloads_failed_ = 0;
  std::map<EndReason, uint64_t> worker_ends_;
};

}  // namespace toolgate
