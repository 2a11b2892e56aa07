// Decides checks on this node, against its own store. The single-node CheckDecider; the
// cluster's router wraps the same logic for the keys this node owns. Completes inline, on
// the caller's thread. Borrows everything it is given (all must outlive it). Thread-safe.
#pragma once
#include <string>

#include "common/clock.h"
#include "service/check_decider.h"
#include "service/decision_metrics.h"
#include "service/policy_book.h"
#include "store/store.h"

namespace drl::service {

class LocalDecider final : public CheckDecider {
 public:
  LocalDecider(store::Store& store, const PolicyBook& policies, const Clock& clock,
               DecisionMetrics& metrics);
  void decide(std::span<const CheckCall> calls, CheckCompletion done) override;

 private:
  // Decides one call at `now` with a policy snapshot; `key` is its store key
  // (store_key_for), computed once per batch so the store can prefetch it.
  void decide_one(const CheckCall& call, std::string_view key, const PolicyCatalog& catalog,
                  TimePoint now, CheckOutcome& out);

  store::Store& store_;
  const PolicyBook& policies_;
  const Clock& clock_;
  DecisionMetrics& metrics_;
};

}  // namespace drl::service
