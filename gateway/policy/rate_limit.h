// Rate limits for policy rules: token buckets behind a small interface, so a
// store shared by several gateway replicas (Redis) can replace the in-memory
// one without touching the policy.
//
//   auto store = std::make_shared<MemoryRateStore>();
//   Bucket b{"mail-quota|caller=alice", 20, 3600000};
//   uint64_t wait_ms;
//   if (!store->take({b}, now_ms, &wait_ms)) deny("next call in " + wait_ms);
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace toolgate {

struct Bucket {
  std::string key;     // rule id and what it is counted by
  uint64_t capacity;   // calls allowed per period (and the burst size)
  uint64_t period_ms;  // the bucket refills completely over this period
};

class RateStore {
 public:
  virtual ~RateStore() = default;
  // Takes one token from every bucket, or from none: when any is empty,
  // nothing is taken, `*empty_index` names the first empty bucket and
  // `*wait_ms` says when it has a token again.
  virtual bool take(const std::vector<Bucket>& buckets, uint64_t now_ms, size_t* empty_index,
                    uint64_t* wait_ms) = 0;
};

class MemoryRateStore : public RateStore {
 public:
  bool take(const std::vector<Bucket>& buckets, uint64_t now_ms, size_t* empty_index,
            uint64_t* wait_ms) override;

 private:
  struct State {
    double tokens;
    uint64_t updated_ms;
    uint64_t capacity;
    uint64_t period_ms;
  };
  std::mutex mu_;
  std::map<std::string, State> state_;
};

}  // namespace toolgate
