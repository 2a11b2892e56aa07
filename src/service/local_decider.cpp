#include "service/local_decider.h"

#include <vector>

#include "limits/denial.h"
#include "service/store_key.h"

namespace drl::service {
namespace {

std::string printable_key(std::string_view key) {
  std::string out;
  for (char c : key.substr(0, 64)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (key.size() > 64) out += "...";
  return out;
}

}  // namespace

LocalDecider::LocalDecider(store::Store& store, const PolicyBook& policies, const Clock& clock,
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
  uint16_t slot = DecisionMetrics::kInlineSlot;
  if (call.code != CheckCode::kOk) {
    out.code = call.code;
    out.message.assign(call.error);
    metrics_.count(slot, CheckResultKind::kError);
    return;
  }
  const limits::Limit* limit = &call.limit;
  const limits::Request* req = &call.request;
  limits::Request request;
  if (!call.has_inline) {
    const limits::Policy* policy = catalog.find(call.policy, slot);
    if (policy == nullptr) {
      out.code = CheckCode::kUnknownPolicy;
      out.message = "unknown policy '" + printable_key(call.policy) + "'";
      if (catalog.size() == 0) {
        out.message += "; this node has no policy file (start it with --policies FILE)";
      } else {
        out.message += "; known policies:";
        for (const auto& n : catalog.names()) out.message += " " + n;
      }
      metrics_.count(slot, CheckResultKind::kError);
      return;
    }
    limit = &policy->limit;
    if (policy->shadow && !call.request.shadow) {
      request = call.request;
      request.shadow = true;
      req = &request;
    }
  } else if (auto problem = limits::validate(call.limit); !problem.empty()) {
    out.code = CheckCode::kInvalidLimit;
    out.message = "invalid limit: " + problem;
    metrics_.count(slot, CheckResultKind::kError);
    return;
  }
  out.decision = store_.apply(key, *limit, *req, now);
  if (out.decision.allowed) {
    metrics_.count(slot, CheckResultKind::kAllowed);
  } else {
    out.message = limits::describe_denial(call.key, *limit, out.decision);
    metrics_.count(slot, CheckResultKind::kDenied);
  }
}

}  // namespace drl::service
