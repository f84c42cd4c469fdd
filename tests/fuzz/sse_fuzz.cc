// Reads an upstream's text/event-stream as the MCP HTTP bridge does (SseParser, endpoint_url in
// worker/net/sse_parser.h, to be taken out of mcp_http_bridge.cc): hostile server output read
// inside the sandbox. Byte 0 picks the cap and seeds the splits; the rest is the stream.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json_limits.h"
#include "fuzz_util.h"
#include "worker/net/sse_parser.h"

using namespace toolgate;
using namespace toolgate::worker;

namespace {

constexpr size_t kCaps[] = {16, 256, 4096, 1 << 20};
constexpr const char* kUrl = "http://upstream.example:8080/mcp";
constexpr const char* kOrigin = "http://upstream.example:8080/";

using Events = std::vector<std::pair<std::string, std::string>>;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t cap = kCaps[data[0] & 3];
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);

  Events whole;
  SseParser one;
  bool whole_ok = one.feed(stream, cap, [&](const std::string& event, const std::string& text) {
    whole.emplace_back(event, text);
  });

  Events split;
  SseParser many;
  fuzz::Rng rng{uint64_t{data[0]}};
  bool split_ok = true;
  for (size_t at = 0; at < stream.size() && split_ok;) {
    size_t n = std::min(stream.size() - at, 1 + rng.below(rng.below(4) ? 16 : 4096));
    split_ok = many.feed(
        stream.substr(at, n), cap, [&](const std::string& event, const std::string& text) {
          FUZZ_CHECK(text.size() <= cap + n, "an event of %zu bytes passed the cap", text.size());
          split.emplace_back(event, text);
        });
    FUZZ_CHECK(split_ok != many.too_big(), "feed() and too_big() disagree");
    at += n;
  }
  FUZZ_CHECK(split.size() <= whole.size() && std::equal(split.begin(), split.end(), whole.begin()),
             "split reads gave other events than one read");
  if (split_ok) FUZZ_CHECK(whole_ok && split == whole, "only the split reads got every event");

  for (auto& [event, text] : whole) {
    FUZZ_CHECK(event.size() <= 64, "an event name of %zu bytes", event.size());
    if (event == "endpoint") {
      if (auto url = endpoint_url(kUrl, text)) {
        FUZZ_CHECK(url->rfind(kOrigin, 0) == 0, "endpoint %s leaves the origin", url->c_str());
        for (char c : *url)
          FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20, "a control byte in the endpoint");
      }
    } else if (!text.empty()) {
      (void)parse_bounded(text, 64);  // as the bridge's emit_text reads it
    }
  }
  return 0;
}
