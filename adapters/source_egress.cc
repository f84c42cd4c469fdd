#include "adapters/source_egress.h"

#include <algorithm>

#include "gateway/egress/egress.h"

namespace toolgate {

std::vector<std::string> source_egress(const Config& cfg, const json& section,
                                       const std::string& section_pointer,
                                       const std::string& own_url, const std::string& url_pointer,
                                       const std::vector<std::string>& also) {
  std::vector<std::string> allow;
  auto e = section.is_object() ? section.find("egress") : section.end();
  bool configured = section.is_object() && e != section.end();
  if (configured) {
    allow = e->value("allow", std::vector<std::string>{});
  } else if (!own_url.empty()) {
    std::string hp = url_host_port(own_url);
    if (hp.empty()) cfg.doc.fail(url_pointer, "expected an http(s) URL without credentials");
    allow = {hp};  // the source's own host, and nothing else
  }
  for (auto& extra : also)
    if (std::find(allow.begin(), allow.end(), extra) == allow.end()) allow.push_back(extra);
  if (auto parsed = EgressPolicy::parse(allow); !parsed)
    cfg.doc.fail(configured ? section_pointer + "/egress/allow" : url_pointer,
                 parsed.error().message);
  return allow;
}

}  // namespace toolgate
