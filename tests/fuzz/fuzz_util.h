// Helpers shared by the fuzz targets: an invariant check that aborts in any
// build (the replay binaries are built with NDEBUG, so assert() would be a
// no-op there), and a deterministic generator seeded from the input, for the
// choices a target makes about one input (split points, header variants).
//
//   FUZZ_CHECK(took <= n, "admit took %zu of %zu bytes", took, n);
//   Rng rng(text);  size_t piece = rng.below(17);
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond, ...)                                                             \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n  ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, "" __VA_ARGS__);                                               \
      std::fprintf(stderr, "\n");                                                         \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace toolgate::fuzz {

// splitmix64, seeded with FNV-1a of the bytes: the same input always makes
// the same choices, and any change to it makes different ones.
class Rng {
 public:
  explicit Rng(std::string_view bytes) {
    for (unsigned char c : bytes) state_ = (state_ ^ c) * 0x100000001b3ull;
  }
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, n); 0 when n is 0.
  size_t below(size_t n) { return n == 0 ? 0 : size_t(next() % n); }

 private:
  uint64_t state_ = 0xcbf29ce484222325ull;
};

}  // namespace toolgate::fuzz
