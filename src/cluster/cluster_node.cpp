// ClusterNode: construction, the inputs (views, checks, peer messages, ticks) and dispatch.
// Routing, replication and hand-off live in routing.cpp, replication.cpp and handoff.cpp.
#include "cluster/cluster_node.h"

#include <algorithm>

#include "common/key_hash.h"

namespace drl::cluster {

ClusterNode::ClusterNode(ring::Member self, store::Backend& store, ClusterOptions options)
    : self_(std::move(self)),
      store_(store),
      options_(options),
      degraded_store_(store::StoreOptions{.shards = 4, .max_memory_bytes = 0}) {
  if (options_.replicas == 0) options_.replicas = 1;
  if (options_.max_batch == 0) options_.max_batch = 1;
  if (options_.max_records_per_message == 0) options_.max_records_per_message = 1;
  if (options_.check_timeout <= 0) options_.check_timeout = 2 * kSecond;
  next_id_ = std::max<uint64_t>(1, options_.id_base);
}

void ClusterNode::set_view(std::vector<ring::Member> alive, TimePoint now) {
  ring::Ring next(std::move(alive), options_.vnodes);
  if (has_view_ && next.epoch() == target_.epoch()) return;
  peak_size_ = std::max(peak_size_, next.size());
  if (!has_view_) {
    // The cluster as it was before this node (re)joined: its ranges are fetched from there.
    std::vector<ring::Member> others;
    for (const auto& m : next.members()) {
      if (m.id != self_.id) others.push_back(m);
    }
    stable_ = ring::Ring(std::move(others), options_.vnodes);
    has_view_ = true;
  } else if (!handoff_pending()) {
    stable_ = std::move(target_);
  }
  // else: keep the last ring whose hand-off completed; the moves are recomputed from it.
  target_ = std::move(next);
  ++ownership_changes_;
  handoffs_.clear();
  alternate_of_.clear();
  start_handoff(now);
  serve_deferred_requests();
  release_held(now, true);
  reroute_if_changed(now);
  flush_batches(now, false);
  flush_answers();
}

void ClusterNode::submit(ClientCheck check, TimePoint now) {
  Origin origin;
  origin.client_token = check.client_token;
  ForwardedCheck fc;
  fc.hops = 0;
  fc.key = std::move(check.key);
  fc.limit = check.limit;
  fc.request = check.request;
  fc.degrade = check.degrade;
  fc.memory_full = check.memory_full;
  fc.deadline = check.deadline;
  fc.policy = std::move(check.policy);
  fc.client_shadow = check.client_shadow;
  route(std::move(origin), std::move(fc), now);
  flush_batches(now, false);
  flush_answers();
}

void ClusterNode::receive(const std::string& from, PeerMessage message, TimePoint now) {
  if (auto* checks = std::get_if<CheckBatch>(&message)) {
    on_checks(from, std::move(*checks), now);
  } else if (auto* answers = std::get_if<AnswerBatch>(&message)) {
    on_answers(std::move(*answers), now);
  } else if (auto* replicas = std::get_if<ReplicaBatch>(&message)) {
    on_replicas(*replicas);
  } else if (auto* request = std::get_if<HandoffRequest>(&message)) {
    on_handoff_request(from, *request);
  } else if (auto* chunk = std::get_if<HandoffChunk>(&message)) {
    on_handoff_chunk(*chunk);
  }
  reroute_if_changed(now);
  flush_batches(now, false);
  flush_answers();
}

void ClusterNode::tick(TimePoint now) {
  release_held(now, false);
  expire_forwards(now);
  expire_handoffs(now);
  reroute_if_changed(now);
  forget_answered(now);
  replicate(now);
  flush_batches(now, false);
  flush_answers();
  if (options_.expire_budget > 0 && now >= next_expiry_) {
    next_expiry_ = now + options_.expire_interval;
    if (options_.sweep_store) store_.expire(now, options_.expire_budget);
    degraded_store_.expire(now, options_.expire_budget);
  }
}

void ClusterNode::flush(TimePoint now) {
  flush_batches(now, true);
  flush_answers();
}

bool ClusterNode::has_unflushed_forwards() const {
  return std::any_of(out_checks_.begin(), out_checks_.end(),
                     [](const auto& entry) { return !entry.second.batch.checks.empty(); });
}

Ownership ClusterNode::ownership() const {
  const bool settled = has_view_ && !target_.empty() && !handoff_pending() && !below_min_view();
  if (!settled) return {};
  return Ownership(self_.id, target_);
}

ClusterStatus ClusterNode::status(TimePoint now, bool count_keys) const {
  ClusterStatus out;
  out.epoch = target_.epoch();
  out.members = target_.size();
  out.ring_share = target_.share(self_.id);
  out.handoff_pending = handoff_pending();
  out.in_flight = pending_.size();
  out.replication_lag = last_replication_ == 0 ? 0 : now - last_replication_;
  if (count_keys && !target_.empty()) {
    // One pass that copies nothing: this runs on the cluster thread for every status and
    // metrics scrape, and a walk that copied every record held that thread ~1 s at 1 M keys.
    uint64_t others = 0;
    out.keys_as_owner = store_.count_hashes([&](uint64_t hash) {
      const bool mine = is_self(target_.owner(hash), target_);
      others += !mine;
      return mine;
    });
    out.keys_as_replica = others;
  }
  return out;
}

void ClusterNode::flush_answers() {
  for (auto& [to, batch] : out_answers_) {
    if (!batch.answers.empty()) outgoing_.push_back({to, std::exchange(batch, {})});
  }
}

}  // namespace drl::cluster
