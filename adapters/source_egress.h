// A source's egress allow-list, worked out once at load the same way for
// every adapter: its own `egress.allow` when the config sets one, else just
// the host and port of the URL the source talks to (the API, the server),
// plus what its credential needs (an OAuth token endpoint). Checked with
// EgressPolicy::parse; a bad list fails the load at the key that holds it.
//
//   auto allow = source_egress(cfg, src, sp, endpoint, sp + "/endpoint");
//   auto allow = source_egress(cfg, src["sandbox"], sp + "/sandbox", url, sp + "/url");
#pragma once

#include <string>
#include <vector>

#include "common/json_limits.h"
#include "gateway/config/config.h"

namespace toolgate {

// `section` is the object that may hold `egress` (at `section_pointer`);
// `own_url` may be empty (a stdio server: nothing by default).
std::vector<std::string> source_egress(const Config& cfg, const json& section,
                                       const std::string& section_pointer,
                                       const std::string& own_url, const std::string& url_pointer,
                                       const std::vector<std::string>& also = {});

}  // namespace toolgate
