// The node's current set of named policies, swapped whole when the cluster installs another
// (cluster/policy_spread.h: a push, a SIGHUP, a peer's offer). Readers take
// a snapshot once per request batch; a snapshot stays valid as long as the reader holds it,
// so a reload never disturbs a batch in flight. Thread-safe.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "limits/policy.h"
#include "service/decision_metrics.h"

namespace drl::service {

// A loaded policy set plus the metrics slot of each policy. Immutable once built.
class PolicyCatalog {
 public:
  PolicyCatalog() = default;
  // `hash`: the text's (limits::PolicyLoad::content_hash), so nodes tell they hold one set;
  // `version`: the cluster's version of the set (0: the node's own file); `origin`: the node
  // it was pushed at.
  PolicyCatalog(limits::PolicySet set, DecisionMetrics& metrics, uint64_t hash = 0,
                uint64_t version = 0, std::string origin = {});
  // Null when unknown. `slot` receives the policy's metrics slot.
  const limits::Policy* find(std::string_view name, uint16_t& slot) const;
  std::vector<std::string> names() const;
  size_t size() const { return set_.size(); }
  // 0 with no policy file.
  uint64_t hash() const { return hash_; }
  uint64_t version() const { return version_; }
  const std::string& origin() const { return origin_; }

 private:
  limits::PolicySet set_;
  uint64_t hash_ = 0;
  uint64_t version_ = 0;
  std::string origin_;
  std::vector<uint16_t> slots_;  // parallel to set_.all()
};

class PolicyBook {
 public:
  explicit PolicyBook(DecisionMetrics& metrics);

  // Loads `path` and, only if it is valid, makes it current at version 0. Returns "" on
  // success (`text`, if given, gets the file's bytes), else a sentence saying what is wrong
  // with the file (the current policies stay).
  std::string load(const std::string& path, std::string* text = nullptr);
  // Makes a set the cluster validated current.
  void install(limits::PolicySet set, uint64_t hash, uint64_t version, std::string origin);

  std::shared_ptr<const PolicyCatalog> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  const std::string& path() const { return path_; }

 private:
  DecisionMetrics& metrics_;
  std::string path_;
  // A mutex rather than std::atomic<std::shared_ptr>: libstdc++ 12 implements that with a
  // lock bit ThreadSanitizer cannot see (a false race report), and it takes a lock anyway.
  mutable std::mutex mutex_;
  std::shared_ptr<const PolicyCatalog> current_;
};

}  // namespace drl::service
