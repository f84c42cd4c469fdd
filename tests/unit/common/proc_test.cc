// /proc readers shared by the gateway and the worker (common/proc.cc).
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "common/proc.h"

using namespace toolgate;

TEST_CASE("cgroup v2: the 0:: line is the unified hierarchy, its root an empty path") {
  auto lines = parse_proc_cgroup("0::/system.slice/toolgate.service\n");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].hierarchy == 0);
  CHECK(lines[0].controllers.empty());
  CHECK(cgroup_path(lines, "") == "/system.slice/toolgate.service");
  CHECK_FALSE(cgroup_path(lines, "memory"));
  CHECK(cgroup_path(parse_proc_cgroup("0::/\n"), "") == "");
  CHECK(call_cgroup_parents(lines, "/cg") ==
        std::vector<std::string>{"/cg/system.slice/toolgate.service"});
}

TEST_CASE("cgroup v1: comma-joined controllers are each found, named ones ignored") {
  const char* text =
      "12:pids:/user.slice\n"
      "4:cpu,cpuacct:/a\n"
      "3:memory,hugetlb:/m/x\n"
      "1:name=systemd:/init.scope\n"
      "0::/unified\n";
  auto lines = parse_proc_cgroup(text);
  REQUIRE(lines.size() == 5);
  CHECK(lines[1].controllers == std::vector<std::string>{"cpu", "cpuacct"});
  CHECK(cgroup_path(lines, "cpu") == "/a");
  CHECK(cgroup_path(lines, "cpuacct") == "/a");
  CHECK(cgroup_path(lines, "memory") == "/m/x");  // a joined memory controller is still found
  CHECK(cgroup_path(lines, "pids") == "/user.slice");
  CHECK(cgroup_path(lines, "name=systemd") == "/init.scope");
  CHECK(cgroup_path(lines, "") == "/unified");
  CHECK_FALSE(cgroup_path(lines, "cpu,cpuacct"));
  // Call cgroups go under v2 and the v1 memory and pids hierarchies only.
  CHECK(call_cgroup_parents(lines, "/cg") ==
        std::vector<std::string>{"/cg/pids/user.slice", "/cg/memory/m/x", "/cg/unified"});
}

TEST_CASE("cgroup: a path may hold colons, garbage lines are skipped") {
  auto lines = parse_proc_cgroup(
      "garbage\n"
      "\n"
      "x:memory:/nope\n"
      "-1:memory:/negative\n"
      "5:memory\n"
      "6:pids:relative/path\n"
      "7:memory:/with:colon\n"
      "8:pids:/last-line-without-newline");
  REQUIRE(lines.size() == 2);
  CHECK(cgroup_path(lines, "memory") == "/with:colon");
  CHECK(cgroup_path(lines, "pids") == "/last-line-without-newline");
  CHECK(parse_proc_cgroup("").empty());
  CHECK(parse_proc_cgroup("::::\n").empty());
}

TEST_CASE("this process's own /proc/self/cgroup parses into at least one hierarchy") {
  auto lines = parse_proc_cgroup(read_proc_text("/proc/self/cgroup"));
  CHECK_FALSE(lines.empty());
  CHECK(read_proc_text("/proc/self/no-such-file").empty());
}

TEST_CASE("child_pids and descendant_pids list children and grandchildren") {
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    pid_t grandchild = ::fork();
    if (grandchild == 0) {
      ::pause();
      ::_exit(0);
    }
    ssize_t w = ::write(ready[1], &grandchild, sizeof grandchild);
    (void)w;
    ::pause();
    ::_exit(0);
  }
  pid_t grandchild = 0;
  REQUIRE(::read(ready[0], &grandchild, sizeof grandchild) == ssize_t(sizeof grandchild));
  auto kids = child_pids(::getpid());
  CHECK(std::count(kids.begin(), kids.end(), child) == 1);
  CHECK(std::count(kids.begin(), kids.end(), grandchild) == 0);
  auto all = descendant_pids(::getpid());
  CHECK(std::count(all.begin(), all.end(), child) == 1);
  CHECK(std::count(all.begin(), all.end(), grandchild) == 1);
  CHECK(child_pids(grandchild).empty());
  CHECK(descendant_pids(::getpid(), /*max_depth=*/0) == kids);
  ::kill(grandchild, SIGKILL);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  CHECK(child_pids(999999999).empty());
}
