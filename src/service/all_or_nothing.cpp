#include "service/all_or_nothing.h"

#include <memory>
#include <string>
#include <vector>

namespace drl::service {
namespace {

// What the refund pass needs once the first pass's borrowed views are gone.
struct Group {
  std::vector<std::string> keys;
  std::vector<CheckCall> refunds;
  std::vector<size_t> refunded;  // index in the group of each refund
  std::vector<CheckOutcome> outcomes;
  std::vector<std::string> deciders;  // owned copies of outcomes' decided_by
  CheckCompletion done;
};

bool charged(const CheckCall& call, const CheckOutcome& o) {
  return o.code == CheckCode::kOk && o.decision.allowed && !o.decision.shadow_denied &&
         call.request.cost > 0 && !call.request.refund;
}

}  // namespace

bool group_refused(std::span<const CheckOutcome> outcomes) {
  for (const CheckOutcome& o : outcomes) {
    const bool decided = o.code == CheckCode::kOk || o.code == CheckCode::kMemoryFull;
    if (!decided || !o.decision.allowed) return true;
  }
  return false;
}

void decide_all_or_nothing(CheckDecider& decider, const Clock& clock,
                           std::span<const CheckCall> calls, CheckCompletion done) {
  if (calls.size() < 2) {
    decider.decide(calls, std::move(done));
    return;
  }
  auto group = std::make_shared<Group>();
  group->done = std::move(done);
  // The first pass's calls are borrowed from the caller only until decide() returns; the refund
  // pass may start later, so it works from copies.
  std::vector<CheckCall> copies(calls.begin(), calls.end());
  group->keys.reserve(calls.size());
  for (const CheckCall& c : calls) group->keys.emplace_back(c.key);
  for (size_t i = 0; i < copies.size(); ++i) copies[i].key = group->keys[i];
  auto first = std::make_shared<std::vector<CheckCall>>(std::move(copies));
  decider.decide(*first, [&decider, &clock, group, first](std::span<const CheckOutcome> outcomes) {
    if (!group_refused(outcomes)) {
      group->done(outcomes);
      return;
    }
    group->outcomes.assign(outcomes.begin(), outcomes.end());
    group->deciders.reserve(outcomes.size());
    for (auto& o : group->outcomes) group->deciders.emplace_back(o.decided_by);
    for (size_t i = 0; i < outcomes.size(); ++i) group->outcomes[i].decided_by = group->deciders[i];
    const TimePoint now = clock.now();
    for (size_t i = 0; i < first->size(); ++i) {
      const CheckCall& call = (*first)[i];
      const CheckOutcome& o = group->outcomes[i];
      if (!charged(call, o)) continue;
      // The key is back to its full budget on this node's clock (a fixed window that has ended,
      // for one): the charge is moot, and a refund would land in the next window. Whatever the
      // algorithm (a policy's is not known here), skipping a refund never admits more.
      if (o.decision.reset_at <= now) continue;
      CheckCall refund = call;
      refund.request.refund = true;
      refund.request.shadow = false;
      group->refunds.push_back(refund);
      group->refunded.push_back(i);
    }
    if (group->refunds.empty()) {
      group->done(group->outcomes);
      return;
    }
    decider.decide(group->refunds, [group](std::span<const CheckOutcome> refunds) {
      for (size_t r = 0; r < refunds.size(); ++r) {
        CheckOutcome& o = group->outcomes[group->refunded[r]];
        if (refunds[r].code == CheckCode::kOk) o.decision.remaining = refunds[r].decision.remaining;
      }
      group->done(group->outcomes);
    });
  });
}

}  // namespace drl::service
