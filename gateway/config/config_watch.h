// Reloads the gateway when its config file or a policy file changes
// (inotify on their directories, so editors that save by rename are seen
// too). Changes are debounced; a bad file is rejected by Generations::reload and
// the old config and policy stay in force.
//
//   ConfigWatcher w(gateway.generations());
//   w.start();   // false (logged) when inotify is unavailable: SIGHUP still works
#pragma once

#include <map>
#include <set>
#include <string>
#include <thread>

#include "gateway/generations.h"

namespace toolgate {

class ConfigWatcher {
 public:
  explicit ConfigWatcher(Generations& generations) : generations_(generations) {}
  ~ConfigWatcher();
  bool start();

 private:
  void arm();  // watches the directories of the current config's files
  void loop();
  Generations& generations_;
  int fd_ = -1;
  int wake_[2] = {-1, -1};
  std::map<int, std::string> dirs_;          // watch descriptor -> directory
  std::set<std::string> files_;              // absolute paths that trigger a reload
  std::shared_ptr<const Config> armed_for_;  // the config the watches were set for
  std::thread thread_;
};

}  // namespace toolgate
