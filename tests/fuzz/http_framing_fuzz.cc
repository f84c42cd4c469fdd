// Reads a connection's bytes through RequestFraming (requests back to back), the bounds the
// gateway applies before cpp-httplib sees hostile HTTP input; small limits make every refusal
// reachable. However the bytes are split into reads, each request must end the same way.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "gateway/transport/request_framing.h"

using namespace toolgate;

namespace {

// How one request on the connection ended.
struct Ended {
  size_t admitted = 0;  // its bytes
  int status = 0;       // 0: complete; else the refusal's status
  bool operator==(const Ended&) const = default;
};

// Feeds the connection in reads of the sizes `piece` gives (0 = the rest).
template <typename Piece>
std::vector<Ended> run(const HttpLimits& limits, std::string_view bytes, Piece piece) {
  RequestFraming f(limits);
  f.begin();
  std::vector<Ended> out;
  Ended cur;
  size_t at = 0;
  while (at < bytes.size()) {
    size_t n = piece();
    n = n == 0 ? bytes.size() - at : std::min(n, bytes.size() - at);
    const char* p = bytes.data() + at;
    while (n > 0) {
      size_t took = f.admit(p, n);
      FUZZ_CHECK(took <= n, "admit took %zu of %zu bytes", took, n);
      cur.admitted += took;
      at += took;
      p += took;
      n -= took;
      if (f.complete()) {
        FUZZ_CHECK(!f.refusal(), "complete and refused");
        out.push_back(cur);
        cur = Ended();
        f.begin();
        continue;
      }
      if (f.refusal()) {
        FUZZ_CHECK(f.refusal()->status >= 400 && f.refusal()->status < 600, "status");
        FUZZ_CHECK(!f.refusal()->reason.empty(), "a refusal without a reason");
        FUZZ_CHECK(f.admit(p, n) == 0, "bytes admitted after a refusal");
        cur.status = f.refusal()->status;
        out.push_back(cur);
        return out;
      }
      FUZZ_CHECK(n == 0, "admit left %zu bytes without an end or a refusal", n);
    }
  }
  if (cur.admitted > 0) out.push_back({cur.admitted, -1});  // cut short by the end of input
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  HttpLimits tiny;
  tiny.max_body_bytes = 64;
  tiny.max_header_bytes = 256;
  tiny.max_header_count = 6;
  tiny.max_line_bytes = 48;
  for (const HttpLimits& limits : {tiny, HttpLimits()}) {
    auto whole = run(limits, bytes, [] { return size_t(0); });
    auto bytewise = run(limits, bytes, [] { return size_t(1); });
    FUZZ_CHECK(bytewise == whole, "one byte at a time: %zu requests, whole: %zu", bytewise.size(),
               whole.size());
    fuzz::Rng rng(bytes);
    auto pieces = run(limits, bytes, [&] { return 1 + rng.below(rng.below(3) ? 7 : 300); });
    FUZZ_CHECK(pieces == whole, "in pieces: %zu requests, whole: %zu", pieces.size(), whole.size());
  }
  return 0;
}
