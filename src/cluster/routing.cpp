// Routing: the owner on this node's ring decides; others forward to it, batched per
// destination, and try again every failover_timeout (alternately through a relay) until it
// answers or the check's deadline passes. Only a view change moves a check to another decider.
#include <algorithm>
#include <iterator>

#include "cluster/cluster_node.h"
#include "common/key_hash.h"

namespace drl::cluster {
namespace {

// A check has travelled this many hops: the receiver decides, whatever its view says.
constexpr uint32_t kMaxHops = 2;
// A peer's budget beyond this is taken as this (no request waits an hour; no overflow).
constexpr Nanos kMaxBudget = 3600 * kSecond;

}  // namespace

void ClusterNode::route(Origin origin, ForwardedCheck check, TimePoint now) {
  if (std::string error = limits::validate(check.limit); !error.empty()) {
    ++stats_.rejected;
    CheckAnswer answer;
    answer.hops = check.hops;
    answer.error = std::move(error);
    deliver(origin, std::move(answer));
    return;
  }
  if (origin.relay) {
    // The sender's budget, on this node's clock: time never crosses nodes as an instant.
    check.deadline =
        now + (check.budget > 0 ? std::min(check.budget, kMaxBudget) : options_.check_timeout);
    if (check.origin.empty()) {
      check.origin = origin.from;
      check.origin_id = origin.request_id;
    }
  } else if (check.deadline == 0) {
    check.deadline = now + options_.check_timeout;
  }
  if (origin.relay && must_refuse_relay(check)) {
    // Deciding here would start from a fresh (or not yet handed-off) budget while the node
    // that holds the key's count is alive: send it back; the forwarder tries again later.
    ++stats_.refused_relays;
    CheckAnswer answer;
    answer.hops = check.hops;
    answer.error = kNotReadyError;
    deliver(origin, std::move(answer));
    return;
  }
  if (!has_view_ && !origin.relay) {
    if (held_.size() < options_.max_held_checks) {
      ++stats_.held_for_view;
      held_.push_back(Held{std::move(origin), std::move(check), now + options_.first_view_wait});
      return;
    }
    degrade(origin, check, now);
    return;
  }
  if (check.must_decide || check.hops >= kMaxHops) {
    decide_here(origin, check, now);
    return;
  }
  if (!has_view_ || target_.empty() || below_min_view()) {
    degrade(origin, check, now);
    return;
  }
  const uint64_t hash = key_hash(check.key);
  if (decider_for(hash).here) return decide_here(origin, check, now);
  const uint64_t id = next_id_++;
  Pending pending;
  pending.hash = hash;
  pending.origin = std::move(origin);
  pending.check = std::move(check);
  pending_.emplace(id, std::move(pending));
  attempt(id, now);
}

ClusterNode::Decider ClusterNode::decider_for(uint64_t hash) const {
  Decider out;
  const std::string& owner = target_.member(target_.owner(hash)).id;
  if (owner != self_.id) {
    out.id = owner;
    return out;
  }
  // Ours, unless its hand-off is pending: then the previous owner decides, as before
  // (or, when that owner is gone, the live replica this node fetches the range from).
  if (handoff_pending() && !stable_.empty()) {
    if (std::string previous = handoff_target(hash); !previous.empty()) {
      out.id = std::move(previous);
      out.must_decide = true;
      return out;
    }
  }
  out.here = true;
  return out;
}

const std::string* ClusterNode::relay_for(uint64_t hash, const std::string& decider,
                                          uint32_t turn) {
  // Another member of the key's preference list (then of the ring) than the decider and this
  // node: its links to both are other links than the one that failed.
  target_.preference_list(hash, target_.size(), scratch_);
  std::vector<const std::string*> candidates;
  for (ring::MemberIndex m : scratch_) {
    const std::string& id = target_.member(m).id;
    if (id != decider && id != self_.id) candidates.push_back(&id);
  }
  if (candidates.empty()) return nullptr;
  // Rotate through the first R - 1 candidates (the key's replicas), or all when fewer.
  const size_t pool = std::min(candidates.size(), std::max<size_t>(1, options_.replicas - 1));
  return candidates[turn % pool];
}

void ClusterNode::attempt(uint64_t id, TimePoint now) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending& p = it->second;
  if (now >= p.check.deadline) return give_up(id, now);
  if (below_min_view()) {
    // The view shrank below the guard while the check waited: the minority side degrades.
    ForwardedCheck check = std::move(p.check);
    Origin origin = std::move(p.origin);
    pending_.erase(it);
    return degrade(origin, check, now);
  }
  const Decider where = decider_for(p.hash);
  if (where.here) {
    // The ring changed under the check: this node now decides it (it held a replica).
    if (!p.decider.empty() && !target_.contains(p.decider)) ++stats_.failovers;
    ForwardedCheck check = std::move(p.check);
    Origin origin = std::move(p.origin);
    // A client's check, known to the others as (this node, id): an attempt of it still on
    // its way here through a relay is then answered from memory.
    if (!origin.relay) check.origin_id = id;
    pending_.erase(it);
    return decide_here(origin, check, now);
  }
  // A fail-over: the decider tried so far left the ring (a hand-off moving the check between
  // two live members is not one).
  if (!p.decider.empty() && p.decider != where.id && !target_.contains(p.decider)) {
    ++stats_.failovers;
  }
  p.decider = where.id;
  // Odd attempts go through a relay, which forwards to the decider (hops 2): a route around
  // a link that loses or delays this node's messages to the decider, or the decider's
  // answers to this node. A relay's own attempts, and hand-off forwards (must_decide: the
  // receiver decides), go direct only.
  const std::string* to = &where.id;
  const bool may_relay = p.check.hops == 0 && !where.must_decide;
  if (may_relay && p.attempts % 2 == 1) {
    if (const std::string* relay = relay_for(p.hash, where.id, p.attempts / 2)) to = relay;
  }
  // A first attempt to a decider whose link lost packets lately leaves through a relay
  // too: whichever copy arrives first is decided, the other answered from memory.
  const std::string* hedge = nullptr;
  if (may_relay && p.attempts == 0 && link_is_lossy(where.id, now)) {
    hedge = relay_for(p.hash, where.id, 0);
  }
  if (p.attempts > 0) ++stats_.retries;
  ++p.attempts;
  ForwardedCheck out = p.check;
  out.request_id = id;
  out.hops = p.check.hops + 1;
  out.must_decide = where.must_decide;
  out.budget = p.check.deadline - now;
  out.deadline = 0;
  if (hedge != nullptr) {
    ++stats_.hedges;
    ++stats_.forwarded;
    enqueue_forward(*hedge, out, now);
  }
  // Backing off (tau, tau, 2 tau, 4 tau, then 8 tau): a link that delays one attempt
  // delays the next on it too, and every retry is more traffic for a struggling network.
  const uint32_t doublings = std::min<uint32_t>(p.attempts > 1 ? p.attempts - 2 : 0, 3);
  p.retry_at = std::min(now + (options_.failover_timeout << doublings), p.check.deadline);
  deadlines_.emplace(p.retry_at, id);
  ++stats_.forwarded;
  enqueue_forward(*to, std::move(out), now);
}

void ClusterNode::note_link_loss(const std::string& peer, TimePoint now) {
  if (options_.hedge_window <= 0 || peer == self_.id) return;
  TimePoint& until = lossy_until_[peer];
  until = std::max(until, now + options_.hedge_window);
}

bool ClusterNode::link_is_lossy(const std::string& peer, TimePoint now) {
  auto it = lossy_until_.find(peer);
  if (it == lossy_until_.end()) return false;
  if (it->second > now) return true;
  lossy_until_.erase(it);
  return false;
}

void ClusterNode::give_up(uint64_t id, TimePoint now) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  // Whoever asked has stopped waiting, and the decider is a live member that never answered:
  // nobody else may decide for it. A relay says so to its forwarder; a client gets its
  // policy's open or closed answer (neither counts against the key), or, for "local",
  // "deadline exceeded": a local budget would be a second decider beside the live owner.
  ++stats_.expired_checks;
  Origin origin = std::move(it->second.origin);
  ForwardedCheck check = std::move(it->second.check);
  pending_.erase(it);
  if (!origin.relay && check.degrade != DegradeMode::kLocal) return degrade(origin, check, now);
  CheckAnswer answer;
  answer.hops = check.hops;
  answer.error = origin.relay ? kExpiredError : kClientDeadlineError;
  deliver(origin, std::move(answer));
}

void ClusterNode::reroute_if_changed(TimePoint now) {
  if (rerouted_changes_ == ownership_changes_) return;
  rerouted_changes_ = ownership_changes_;
  reroute_pending(now);
}

void ClusterNode::reroute_pending(TimePoint now) {
  // A view change may move a pending check's decider (its owner left the ring, or a range's
  // hand-off started or finished): try the new one at once, not at the next retry.
  std::vector<uint64_t> moved;
  for (const auto& [id, p] : pending_) {
    const Decider where = decider_for(p.hash);
    if (where.here || where.id != p.decider) moved.push_back(id);
  }
  for (uint64_t id : moved) {
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    deadlines_.erase({it->second.retry_at, id});
    attempt(id, now);
  }
}

const ForwardedCheck& ClusterNode::under_own_policy(const Origin& origin,
                                                    const ForwardedCheck& check,
                                                    ForwardedCheck& scratch, bool& own_limit) {
  own_limit = false;
  if (!origin.relay || check.policy.empty() || !policy_lookup_) return check;
  const limits::Policy* policy = policy_lookup_(check.policy);
  // Unknown here (a set that dropped it, or that has not added it yet): the entry node's
  // meaning, which it carried, rather than refusing a check a client was told is valid.
  if (policy == nullptr) return check;
  scratch = check;
  scratch.limit = policy->limit;
  scratch.degrade = policy->degrade;
  scratch.memory_full = policy->on_memory_full;
  scratch.request.shadow = check.client_shadow || policy->shadow;
  own_limit = !(scratch.limit == check.limit);
  return scratch;
}

void ClusterNode::decide_here(const Origin& origin, const ForwardedCheck& received, TimePoint now) {
  if (refuse_expired(origin, received, now)) return;
  // Checks that other nodes may send here again: relayed ones, and this node's own clients'
  // that it forwarded before deciding them here (origin_id set).
  const bool known = origin.relay || received.origin_id != 0;
  const CheckKey key{origin.relay ? received.origin : self_.id, received.origin_id};
  if (known) {
    auto seen = answered_.find(key);
    if (seen != answered_.end()) {
      // Another attempt of a check decided here: its answer, not a second decision.
      ++stats_.answered_again;
      CheckAnswer answer = seen->second.answer;
      answer.hops = received.hops;
      deliver(origin, std::move(answer));
      return;
    }
  }
  ForwardedCheck scratch;
  bool own_limit = false;
  const ForwardedCheck& check = under_own_policy(origin, received, scratch, own_limit);
  CheckAnswer answer;
  answer.decided_by = self_.id;
  answer.hops = check.hops;
  if (own_limit) answer.limit = check.limit;
  answer.decision = store_.apply(check.key, check.limit, check.request, now,
                                 store::memory_rule(check.memory_full, check.degrade));
  const uint64_t hash = key_hash(check.key);
  if (!target_.empty() && is_self(target_.owner(hash), target_)) {
    ++stats_.decided_as_owner;
  } else {
    ++stats_.decided_off_owner;
    off_owner_keys_.insert(check.key);
  }
  if (known) remember(key, answer, now);
  deliver(origin, std::move(answer));
}

void ClusterNode::remember(CheckKey key, const CheckAnswer& answer, TimePoint now) {
  auto [it, inserted] = answered_.try_emplace(key, Answered{answer, now});
  if (!inserted) return;
  answered_order_.push_back(std::move(key));
  while (answered_order_.size() > options_.max_answered) {
    answered_.erase(answered_order_.front());
    answered_order_.pop_front();
  }
}

void ClusterNode::forget_answered(TimePoint now) {
  while (!answered_order_.empty()) {
    auto it = answered_.find(answered_order_.front());
    if (it != answered_.end() && it->second.at + options_.answered_memory > now) break;
    if (it != answered_.end()) answered_.erase(it);
    answered_order_.pop_front();
  }
}

void ClusterNode::degrade(const Origin& origin, const ForwardedCheck& received, TimePoint now) {
  if (refuse_expired(origin, received, now)) return;
  ++stats_.degraded;
  ForwardedCheck scratch;
  bool own_limit = false;
  const ForwardedCheck& check = under_own_policy(origin, received, scratch, own_limit);
  CheckAnswer answer;
  if (own_limit) answer.limit = check.limit;
  answer.decided_by = self_.id;
  answer.hops = check.hops;
  answer.degraded = true;
  switch (check.degrade) {
    case DegradeMode::kLocal: {
      limits::Limit share = check.limit;
      const uint64_t n = std::max<uint64_t>(1, peak_size_);
      share.limit = std::max<uint64_t>(1, share.limit / n);
      if (share.burst > 0) share.burst = std::max<uint64_t>(1, share.burst / n);
      answer.decision = degraded_store_.apply(check.key, share, check.request, now);
      break;
    }
    case DegradeMode::kOpen:
      answer.decision.allowed = true;
      answer.decision.limit = check.limit.limit;
      answer.decision.remaining = check.limit.limit;
      break;
    case DegradeMode::kClosed:
      answer.decision.allowed = false;
      answer.decision.limit = check.limit.limit;
      answer.decision.retry_after = options_.failover_timeout;
      break;
  }
  deliver(origin, std::move(answer));
}

bool ClusterNode::refuse_expired(const Origin& origin, const ForwardedCheck& check, TimePoint now) {
  if (!origin.relay || check.deadline == 0 || now < check.deadline) return false;
  // Nobody waits for this check any more: deciding it would spend a budget on an answer no
  // client sees.
  ++stats_.expired_relays;
  CheckAnswer answer;
  answer.hops = check.hops;
  answer.error = kExpiredError;
  deliver(origin, std::move(answer));
  return true;
}

void ClusterNode::deliver(const Origin& origin, CheckAnswer answer) {
  if (origin.relay) {
    answer.request_id = origin.request_id;
    out_answers_[origin.from].answers.push_back(std::move(answer));
    return;
  }
  CheckResult result;
  result.client_token = origin.client_token;
  result.decision = answer.decision;
  result.decided_by = std::move(answer.decided_by);
  result.degraded = answer.degraded;
  result.hops = answer.hops;
  result.error = std::move(answer.error);
  result.limit = answer.limit;
  results_.push_back(std::move(result));
}

void ClusterNode::enqueue_forward(const std::string& to, ForwardedCheck check, TimePoint now) {
  OutBatch& out = out_checks_[to];
  if (out.batch.checks.empty()) out.first_at = now;
  out.batch.checks.push_back(std::move(check));
  if (out.batch.checks.size() >= options_.max_batch) {
    outgoing_.push_back({to, std::exchange(out.batch, {})});
  }
}

void ClusterNode::flush_batches(TimePoint now, bool all) {
  for (auto& [to, out] : out_checks_) {
    if (out.batch.checks.empty()) continue;
    if (all || out.first_at + options_.flush_delay <= now) {
      outgoing_.push_back({to, std::exchange(out.batch, {})});
    }
  }
}

void ClusterNode::on_checks(const std::string& from, CheckBatch batch, TimePoint now) {
  for (ForwardedCheck& check : batch.checks) {
    Origin origin;
    origin.relay = true;
    origin.from = from;
    origin.request_id = check.request_id;
    route(std::move(origin), std::move(check), now);
  }
}

bool ClusterNode::must_refuse_relay(const ForwardedCheck& check) const {
  if (!has_view_) return true;
  if (check.hops < kMaxHops || check.must_decide) return false;
  if (!handoff_pending() || stable_.empty() || target_.empty()) return false;
  // Ours on the new ring, its state still being fetched from the previous owner, and the
  // check may not travel on to that owner: deciding it here would start from a stale count.
  const Decider where = decider_for(key_hash(check.key));
  return !where.here && where.must_decide;
}

void ClusterNode::release_held(TimePoint now, bool view_arrived) {
  if (held_.empty()) return;
  if (view_arrived) {
    for (Held& h : std::exchange(held_, {})) route(std::move(h.origin), std::move(h.check), now);
    return;
  }
  size_t expired = 0;
  while (expired < held_.size() && held_[expired].deadline <= now) ++expired;
  if (expired == 0) return;
  std::vector<Held> due(std::make_move_iterator(held_.begin()),
                        std::make_move_iterator(held_.begin() + expired));
  held_.erase(held_.begin(), held_.begin() + expired);
  for (const Held& h : due) degrade(h.origin, h.check, now);
}

void ClusterNode::on_answers(AnswerBatch batch, TimePoint now) {
  (void)now;
  for (CheckAnswer& answer : batch.answers) {
    auto it = pending_.find(answer.request_id);
    if (it == pending_.end()) {
      ++stats_.late_answers;  // another attempt of the check was answered first
      continue;
    }
    if (answer.error == kNotReadyError || answer.error == kExpiredError) {
      // Refused, not decided: the check stays pending and is tried again on its schedule.
      continue;
    }
    deadlines_.erase({it->second.retry_at, answer.request_id});
    Origin origin = std::move(it->second.origin);
    pending_.erase(it);
    deliver(origin, std::move(answer));
  }
}

void ClusterNode::expire_forwards(TimePoint now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const auto [retry_at, id] = *deadlines_.begin();
    deadlines_.erase(deadlines_.begin());
    auto it = pending_.find(id);
    if (it == pending_.end() || it->second.retry_at != retry_at) continue;
    attempt(id, now);
  }
}

}  // namespace drl::cluster
