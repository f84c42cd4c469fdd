#include "gateway/audit/metrics.h"

#include <cstdio>

namespace toolgate {
namespace {

// Label values escaped as the exposition format requires.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string num(double v) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

void header(std::string& out, const char* name, const char* help, const char* type) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

void Metrics::call(const std::string& tool, const std::string& decision, const std::string& outcome,
                   double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_[{tool, decision, outcome}];
  if (seconds < 0) return;
  Histogram& h = latency_[tool];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.counts[i];
  ++h.count;
  h.sum += seconds;
}

void Metrics::approval(const std::string& result) {
  std::lock_guard<std::mutex> lock(mu_);
  ++approvals_[result];
}

void Metrics::reload(bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  ++(ok ? reloads_ok_ : reloads_failed_);
}

void Metrics::worker_end(EndReason reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ++worker_ends_[reason];
}

std::string Metrics::render(const std::vector<Sample>& extra) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  header(out, "toolgate_calls_total", "tools/call requests by tool, policy decision and outcome",
         "counter");
  for (auto& [k, n] : calls_) {
    out += "toolgate_calls_total{tool=\"" + label(k[0]) + "\",decision=\"" + label(k[1]) +
           "\",outcome=\"" + label(k[2]) + "\"} " + std::to_string(n) + "\n";
  }
  header(out, "toolgate_call_duration_seconds", "Latency of dispatched calls, by tool",
         "histogram");
  for (auto& [tool, h] : latency_) {
    std::string t = label(tool);
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += "toolgate_call_duration_seconds_bucket{tool=\"" + t + "\",le=\"" + num(kBuckets[i]) +
             "\"} " + std::to_string(h.counts[i]) + "\n";
    }
    out += "toolgate_call_duration_seconds_bucket{tool=\"" + t + "\",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    out += "toolgate_call_duration_seconds_sum{tool=\"" + t + "\"} " + num(h.sum) + "\n";
    out += "toolgate_call_duration_seconds_count{tool=\"" + t + "\"} " + std::to_string(h.count) +
           "\n";
  }
  header(out, "toolgate_approvals_total", "Human approvals asked for, by result", "counter");
  for (auto& [r, n] : approvals_) {
    out += "toolgate_approvals_total{result=\"" + label(r) + "\"} " + std::to_string(n) + "\n";
  }
  header(out, "toolgate_reloads_total", "Config and policy reloads, by result", "counter");
  out += "toolgate_reloads_total{result=\"ok\"} " + std::to_string(reloads_ok_) + "\n";
  out += "toolgate_reloads_total{result=\"rejected\"} " + std::to_string(reloads_failed_) + "\n";
  header(out, "toolgate_worker_end_reasons_total", "Worker runs by why they ended", "counter");
  // Every reason, zero or not: the set is fixed, and a series that appears
  // only on its first increment hides that increment from rate().
  for (EndReason r : all_end_reasons()) {
    auto it = worker_ends_.find(r);
    out += "toolgate_worker_end_reasons_total{reason=\"" + std::string(to_string(r)) + "\"} " +
           std::to_string(it == worker_ends_.end() ? 0 : it->second) + "\n";
  }
  for (auto& s : extra) {
    header(out, s.name.c_str(), s.help.c_str(), s.type.c_str());
    out += s.name + " " + num(s.value) + "\n";
  }
  return out;
}

}  // namespace toolgate
