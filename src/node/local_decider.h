// Decides checks on this node, against its own store. The single-node CheckDecider; the
// cluster's router wraps the same logic for the keys this node owns. Completes inline, on
// the caller's thread. Borrows everything it is given (all must outlive it). Thread-safe.
#pragma once
#include <string>

#include "common/clock.h"
#include "net/check_decider.h"
#include "node/decision_metrics.h"
#include "node/policy_book.h"
#include "store/store.h"

namespace drl::node {

class LocalDecider final : public net::CheckDecider {
 public:
  LocalDecider(store::Backend& store, const PolicyBook& policies, const Clock& clock,
               DecisionMetrics& metrics);
  void decide(std::span<const net::CheckCall> calls, net::CheckCompletion done) override;

 private:
  // Decides one call at `now` with a policy snapshot; `key` is its store key
  // (net::store_key_for), computed once per batch so the store can prefetch it.
  void decide_one(const net::CheckCall& call, std::string_view key, const PolicyCatalog& catalog,
                  TimePoint now, net::CheckOutcome& out);

  store::Backend& store_;
  const PolicyBook& policies_;
  const Clock& clock_;
  DecisionMetrics& metrics_;
};

}  // namespace drl::node
