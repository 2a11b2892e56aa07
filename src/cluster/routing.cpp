// Routing: the owner decides; others forward to it, batched per destination; a forward that
// gets no answer within failover_timeout moves down the preference list; a node that
// reaches nobody degrades.
#include <algorithm>
#include <iterator>

#include "cluster/cluster_node.h"
#include "common/key_hash.h"

namespace drl::cluster {
namespace {

// A check has travelled this many hops: the receiver decides, whatever its view says.
constexpr uint32_t kMaxHops = 2;

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
  if (origin.relay && must_refuse_relay(check)) {
    // Deciding here would start from a fresh (or not yet handed-off) budget while the node
    // that holds the key's count is alive: send it back to try the next of the list.
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
  if (!has_view_ || target_.empty() ||
      (options_.min_view_size > 0 && target_.size() < options_.min_view_size)) {
    degrade(origin, check, now);
    return;
  }
  const uint64_t hash = key_hash(check.key);
  Pending pending;
  pending.hash = hash;
  if (is_self(target_.owner(hash), target_)) {
    // Ours, unless its hand-off is pending: then it goes where it went before.
    if (!handoff_pending() || stable_.empty()) return decide_here(origin, check, now);
    std::string previous = handoff_target(hash);
    if (previous.empty()) return decide_here(origin, check, now);
    pending.previous_owner = std::move(previous);
    check.must_decide = true;
  }
  const uint64_t id = next_id_++;
  pending.origin = std::move(origin);
  pending.check = std::move(check);
  pending_.emplace(id, std::move(pending));
  try_next(id, now);
}

void ClusterNode::try_next(uint64_t id, TimePoint now) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending& p = it->second;
  if (p.check.deadline != 0 && now >= p.check.deadline) {
    // Whoever asked has stopped waiting: another attempt could only decide a check nobody
    // will see answered (or, for a relay, one its forwarder has already moved past).
    ++stats_.expired_checks;
    CheckAnswer answer;
    answer.hops = p.check.hops;
    answer.error = p.origin.relay ? kExpiredError : kClientDeadlineError;
    Origin origin = std::move(p.origin);
    pending_.erase(it);
    deliver(origin, std::move(answer));
    return;
  }
  const std::string* next = nullptr;
  if (!p.previous_owner.empty()) {
    if (p.tried.empty()) next = &p.previous_owner;
  } else {
    target_.preference_list(p.hash, options_.replicas, scratch_);
    for (ring::MemberIndex m : scratch_) {
      const std::string& candidate = target_.member(m).id;
      if (std::find(p.tried.begin(), p.tried.end(), candidate) == p.tried.end()) {
        next = &candidate;
        break;
      }
    }
  }
  if (next != nullptr && *next != self_.id) {
    ForwardedCheck out = p.check;
    out.request_id = id;
    out.hops = p.check.hops + 1;
    out.must_decide = p.check.must_decide || !p.tried.empty();
    p.tried.push_back(*next);
    p.grace_given = false;
    const TimePoint failover_at = now + options_.failover_timeout;
    // The receiver must answer a return margin before the fail-over, and never past the
    // check's own deadline (the client's, or a relay's upstream one): nobody waits then.
    out.deadline = failover_at - deadline_margin();
    if (p.check.deadline != 0) out.deadline = std::min(out.deadline, p.check.deadline);
    // Stop waiting at the fail-over, or at the check's deadline if sooner: a client whose
    // deadline passes is answered (deadline exceeded) then.
    p.deadline = failover_at;
    if (p.check.deadline != 0) p.deadline = std::min(p.deadline, p.check.deadline);
    deadlines_.emplace(p.deadline, id);
    ++stats_.forwarded;
    enqueue_forward(p.tried.back(), std::move(out), now);
    return;
  }
  // This node is next on the list (it holds a replica, or became the owner), or nobody is
  // left: a hand-off forward falls back to this node, any other check degrades.
  ForwardedCheck check = std::move(p.check);
  Origin origin = std::move(p.origin);
  const bool here = next != nullptr || !p.previous_owner.empty();
  pending_.erase(it);
  if (here) return decide_here(origin, check, now);
  degrade(origin, check, now);
}

void ClusterNode::decide_here(const Origin& origin, const ForwardedCheck& check, TimePoint now) {
  if (refuse_expired(origin, check, now)) return;
  CheckAnswer answer;
  answer.decided_by = self_.id;
  answer.hops = check.hops;
  answer.decision = store_.apply(check.key, check.limit, check.request, now);
  const uint64_t hash = key_hash(check.key);
  if (!target_.empty() && is_self(target_.owner(hash), target_)) {
    ++stats_.decided_as_owner;
  } else {
    ++stats_.decided_off_owner;
    off_owner_keys_.insert(check.key);
  }
  deliver(origin, std::move(answer));
}

void ClusterNode::degrade(const Origin& origin, const ForwardedCheck& check, TimePoint now) {
  if (refuse_expired(origin, check, now)) return;
  ++stats_.degraded;
  CheckAnswer answer;
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
  // The forwarder has given up on this attempt, or will before an answer could reach it:
  // deciding now would let the next node of the list decide the same check again.
  ++stats_.expired_relays;
  CheckAnswer answer;
  answer.hops = check.hops;
  answer.error = kExpiredError;
  deliver(origin, std::move(answer));
  return true;
}

Nanos ClusterNode::deadline_margin() const {
  return options_.deadline_margin > 0 ? options_.deadline_margin : options_.failover_timeout / 4;
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
  if (!handoff_pending() || stable_.empty() || target_.empty()) return false;
  const uint64_t hash = key_hash(check.key);
  if (!is_self(target_.owner(hash), target_)) return false;
  // Ours on the new ring, but its state is still being fetched from the previous owner.
  return !handoff_target(hash).empty();
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
  for (CheckAnswer& answer : batch.answers) {
    auto it = pending_.find(answer.request_id);
    if (it == pending_.end()) {
      ++stats_.late_answers;  // a fail-over already answered it
      continue;
    }
    deadlines_.erase({it->second.deadline, answer.request_id});
    if (answer.error == kNotReadyError || answer.error == kExpiredError) {
      // Refused, not decided: move down the list at once, as after a timeout.
      ++stats_.failovers;
      try_next(answer.request_id, now);
      continue;
    }
    Origin origin = std::move(it->second.origin);
    pending_.erase(it);
    deliver(origin, std::move(answer));
  }
}

void ClusterNode::expire_forwards(TimePoint now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const auto [deadline, id] = *deadlines_.begin();
    deadlines_.erase(deadlines_.begin());
    auto it = pending_.find(id);
    if (it == pending_.end() || it->second.deadline != deadline) continue;
    Pending& p = it->second;
    if (!p.grace_given && options_.failover_grace > 0) {
      // Not yet: a shell whose thread was starved sees the timeout before it has read the
      // answers that arrived meanwhile. One more turn of its event loop reads them; failing
      // over first would let the next node decide a check already decided.
      p.grace_given = true;
      p.deadline = now + options_.failover_grace;
      deadlines_.emplace(p.deadline, id);
      continue;
    }
    ++stats_.failovers;
    try_next(id, now);
  }
}

}  // namespace drl::cluster
