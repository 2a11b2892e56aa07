// The node's current envoyproxy/ratelimit configuration (--rls-config, or the one the cluster
// spread with its policy set), swapped whole on reload or install. A reload that fails keeps the
// current configuration. Readers take a snapshot once per request; a snapshot stays valid while
// they hold it, so a reload never disturbs a request in flight. Thread-safe.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rls/config.h"

namespace drl::rls {

class RlsConfigBook {
 public:
  // Loads `path` (a file or a directory) and, only if it is valid, makes it current. Returns
  // "" on success, else the error ("<file>:<line>: <problem>"); `warnings` gets what was
  // accepted without effect.
  std::string load(const std::string& path, std::vector<std::string>* warnings = nullptr);
  // Loads the path of the last successful load() again.
  std::string reload(std::vector<std::string>* warnings = nullptr);
  // Makes a configuration parsed elsewhere current (the cluster's, cluster/policy_spread.h).
  void install(std::shared_ptr<const RlsConfig> config);

  // Null until a load succeeds.
  std::shared_ptr<const RlsConfig> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  // A mutex rather than std::atomic<std::shared_ptr> (see service/policy_book.h).
  mutable std::mutex mutex_;
  std::shared_ptr<const RlsConfig> current_;  // guarded by mutex_
};

}  // namespace drl::rls
