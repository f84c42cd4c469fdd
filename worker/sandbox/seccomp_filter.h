// The syscall deny-list a tool runs under (libseccomp). Loaded as the last
// step before exec, after the sandbox setup that needs mount and friends.
#pragma once

namespace toolgate::worker {

// Returns 0, or an errno. `allow_inet`: AF_INET/AF_INET6 sockets allowed
// (egress granted); otherwise only AF_UNIX. `kill`: a denied syscall kills
// the process instead of failing with EPERM.
int load_seccomp_filter(bool allow_inet, bool kill);

}  // namespace toolgate::worker
