// The policy seam: every tools/call is decided here after argument
// validation and before anything leaves the gateway. Until the policy
// engine lands, AllowAllPolicy allows every call (and says so at startup).
//
//   Decision d = policy.decide({caller, tool, args});
//   if (d.effect == Effect::deny) return tool_error(d.message);
#pragma once

#include <string>
#include <vector>

#include "toolgate/catalog.h"

namespace toolgate {

struct Caller {
  std::string id;
  std::vector<std::string> roles;
};

enum class Effect { allow, deny, approve };

struct Decision {
  Effect effect = Effect::allow;
  std::string rule_id;  // the rule that decided; empty for the default
  std::string message;  // shown to the model on deny
};

struct CallContext {
  const Caller& caller;
  const Tool& tool;
  const json& args;
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual Decision decide(const CallContext& call) const = 0;
};

class AllowAllPolicy : public Policy {
 public:
  Decision decide(const CallContext&) const override { return {Effect::allow, "allow-all", ""}; }
};

}  // namespace toolgate
