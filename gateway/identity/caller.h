// Who is calling: an API key's caller, or the local (stdio) user, with the
// roles the config gives them. The policy decides by it; the audit log
// records it.
//
//   Caller who{"ci-bot", {"automation"}};
//   if (has_any_role(who, cfg.approvals.admin_roles)) ...
#pragma once

#include <string>
#include <vector>

namespace toolgate {

struct Caller {
  std::string id;
  std::vector<std::string> roles;
};

}  // namespace toolgate
