#include "gateway/policy/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace toolgate {

bool MemoryRateStore::take(const std::vector<Bucket>& buckets, uint64_t now_ms, size_t* empty_index,
                           uint64_t* wait_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<State*> states;
  for (size_t i = 0; i < buckets.size(); ++i) {
    const Bucket& b = buckets[i];
    auto it = state_.find(b.key);
    // A reload that changes a rule's limit starts its bucket afresh.
    if (it == state_.end() || it->second.capacity != b.capacity ||
        it->second.period_ms != b.period_ms) {
      it =
          state_.insert_or_assign(b.key, State{double(b.capacity), now_ms, b.capacity, b.period_ms})
              .first;
    }
    State& s = it->second;
    double per_ms = double(b.capacity) / double(std::max<uint64_t>(b.period_ms, 1));
    if (now_ms > s.updated_ms) {
      s.tokens = std::min(double(b.capacity), s.tokens + double(now_ms - s.updated_ms) * per_ms);
      s.updated_ms = now_ms;
    }
    if (s.tokens < 1.0) {
      if (empty_index) *empty_index = i;
      if (wait_ms) *wait_ms = uint64_t(std::ceil((1.0 - s.tokens) / per_ms));
      return false;
    }
    states.push_back(&s);
  }
  for (State* s : states) s->tokens -= 1.0;
  return true;
}

}  // namespace toolgate
