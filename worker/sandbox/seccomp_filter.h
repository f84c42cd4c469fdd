// The syscall deny-list a tool runs under (libseccomp). Loaded as the last
// step before exec, after the sandbox setup that needs mount and friends.
// The rules are data (seccomp_rules), so they can be read, tested and
// audited apart from loading them.
//
//   for (const SeccompRule& r : seccomp_rules(/*allow_inet=*/false)) print(r.syscall);
//   if (int err = load_seccomp_filter(/*allow_inet=*/false, /*kill=*/false)) fail(err);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace toolgate::worker {

struct SeccompRule {
  enum class Action {
    deny,       // EPERM, or kills the process with seccomp_action: kill
    enosys,     // ENOSYS, so libc falls back (clone3 -> clone)
    no_family,  // EAFNOSUPPORT: a socket family the tool may not use
  };
  // A condition on the first argument; none matches every call.
  enum class Arg0 { none, ne, masked_eq, eq, gt };
  std::string syscall;
  Action action = Action::deny;
  Arg0 arg0 = Arg0::none;
  uint64_t value = 0;  // ne, eq, gt: compared with; masked_eq: the mask, equal to the value
};

// Every rule, in the order they are added. `allow_inet`: AF_INET and
// AF_INET6 sockets are allowed (egress granted); otherwise only AF_UNIX.
// Syscalls this architecture lacks are in the list; loading skips them.
std::vector<SeccompRule> seccomp_rules(bool allow_inet);

// The libseccomp action (SCMP_ACT_*) for a rule's action.
uint32_t seccomp_action(SeccompRule::Action action, bool kill);

// Builds the filter from seccomp_rules and loads it into this process.
// Returns 0, or an errno. `kill`: a denied syscall kills the process
// instead of failing with EPERM.
int load_seccomp_filter(bool allow_inet, bool kill);

}  // namespace toolgate::worker
