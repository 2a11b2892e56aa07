#include "service/local_decider.h"

#include <vector>

#include "service/check_resolution.h"
#include "service/decided_outcome.h"
#include "service/store_key.h"

namespace drl::service {

LocalDecider::LocalDecider(store::Backend& store, const PolicyBook& policies, const Clock& clock,
                           DecisionMetrics& metrics)
    : store_(store), policies_(policies), clock_(clock), metrics_(metrics) {}

void LocalDecider::decide(std::span<const CheckCall> calls, CheckCompletion done) {
  thread_local std::vector<CheckOutcome> outcomes;
  outcomes.resize(calls.size());
  const auto catalog = policies_.current();
  const TimePoint now = clock_.now();
  // Every lookup in a large table is a cache miss; asking for all of a batch's slots first
  // lets those misses overlap (store_bench's BM_StoreChurn cases; docs/optimization.md).
  thread_local std::vector<std::string> keys;
  if (keys.size() < calls.size()) keys.resize(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].code != CheckCode::kOk) continue;
    store_key_for(calls[i], keys[i]);
    store_.prefetch(keys[i]);
  }
  // Then the bytes of keys kept outside their entries, which the first pass brought in reach.
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].code == CheckCode::kOk) store_.prefetch_key_bytes(keys[i]);
  }
  for (size_t i = 0; i < calls.size(); ++i) {
    decide_one(calls[i], keys[i], *catalog, now, outcomes[i]);
  }
  done(std::span<const CheckOutcome>(outcomes.data(), calls.size()));
}

void LocalDecider::decide_one(const CheckCall& call, std::string_view key,
                              const PolicyCatalog& catalog, TimePoint now, CheckOutcome& out) {
  out.code = CheckCode::kOk;
  out.decision = limits::Decision{};
  out.degraded = false;
  out.message.clear();
  out.decided_by = {};
  ResolvedCheck resolved;
  if (Status status = resolve_check(call, catalog, resolved); !status) {
    out.code = status.code();
    out.message = status.message();
    metrics_.count(resolved.slot, CheckResultKind::kError);
    return;
  }
  out.decision = store_.apply(key, *resolved.limit, resolved.request, now,
                              store::memory_rule(resolved.memory_full, resolved.degrade));
  settle_decision(out, call.key, *resolved.limit, metrics_, resolved.slot);
}

}  // namespace drl::service
