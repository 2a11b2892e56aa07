// The node's current set of named policies, swapped whole on reload (SIGHUP). Readers take
// a snapshot once per request batch; a snapshot stays valid as long as the reader holds it,
// so a reload never disturbs a batch in flight. Thread-safe.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "limits/policy.h"
#include "service/decision_metrics.h"

namespace drl::service {

// A loaded policy set plus the metrics slot of each policy. Immutable once built.
class PolicyCatalog {
 public:
  PolicyCatalog() = default;
  PolicyCatalog(limits::PolicySet set, DecisionMetrics& metrics);
  // Null when unknown. `slot` receives the policy's metrics slot.
  const limits::Policy* find(std::string_view name, uint16_t& slot) const;
  std::vector<std::string> names() const;
  size_t size() const { return set_.size(); }

 private:
  limits::PolicySet set_;
  std::vector<uint16_t> slots_;  // parallel to set_.all()
};

class PolicyBook {
 public:
  explicit PolicyBook(DecisionMetrics& metrics);

  // Loads `path` and, only if it is valid, makes it current. Returns "" on success, else a
  // sentence saying what is wrong with the file (the current policies stay).
  std::string load(const std::string& path);
  // Loads the file of the last successful load() again.
  std::string reload();

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
