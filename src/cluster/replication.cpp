// Replication: every replication_interval the node ships the current state of the keys it
// decided (as owner, or off-owner during fail-over and hand-off) to the other members of
// their preference lists. State, not operations: idempotent, ordered by KeyRecord::version.
#include <algorithm>

#include "cluster/cluster_node.h"
#include "common/key_hash.h"

namespace drl::cluster {

void ClusterNode::add_record(std::map<std::string, ReplicaBatch>& batches, const std::string& to,
                             const store::KeyRecord& record) {
  ReplicaBatch& batch = batches[to];
  batch.records.push_back(record);
  ++stats_.replica_records_sent;
  if (batch.records.size() >= options_.max_records_per_message) {
    outgoing_.push_back({to, std::exchange(batch, {})});
  }
}

void ClusterNode::replicate(TimePoint now) {
  if (now < next_replication_) return;
  next_replication_ = now + options_.replication_interval;
  last_replication_ = now;
  std::map<std::string, ReplicaBatch> batches;
  // Alone (or without a view) there is nobody to ship to: leave the changes unharvested; the
  // first harvest with peers gets them all, and resync_replicas ships every owned key anyway.
  if (target_.size() > 1) harvest_changes(batches);
  off_owner_keys_.clear();
  repair_replicas(batches, now);
  if (!handoff_pending() && synced_ring_.epoch() != target_.epoch()) resync_replicas(batches);
  for (auto& [to, batch] : batches) {
    if (!batch.records.empty()) outgoing_.push_back({to, std::move(batch)});
  }
}

void ClusterNode::harvest_changes(std::map<std::string, ReplicaBatch>& batches) {
  // Every change to the store counts, whichever thread made it: the shell's inline decisions
  // (cluster/ownership.h) are harvested here like this node's own.
  replicated_seq_ = store_.changed_since(replicated_seq_, [&](const store::KeyRecord& record) {
    target_.preference_list(key_hash(record.key), options_.replicas, scratch_);
    // Installed replicas change the store too; only the decider ships them on.
    if (!is_self(scratch_[0], target_) && !off_owner_keys_.contains(record.key)) return;
    std::vector<std::string> to;
    for (ring::MemberIndex m : scratch_) {
      if (is_self(m, target_)) continue;
      to.push_back(target_.member(m).id);
      add_record(batches, to.back(), record);
    }
    if (shipped_.size() < options_.max_repair_records || shipped_.contains(record.key)) {
      shipped_[record.key] = {record, std::move(to)};
    }
  });
}

void ClusterNode::repair_replicas(std::map<std::string, ReplicaBatch>& batches, TimePoint now) {
  if (now < next_repair_) return;
  next_repair_ = now + options_.repair_interval;
  // Installs are ordered by version: a record shipped twice, or after a newer one, is ignored.
  for (auto& [key, shipped] : std::exchange(shipped_, {})) {
    for (const std::string& to : shipped.second) add_record(batches, to, shipped.first);
  }
}

void ClusterNode::resync_replicas(std::map<std::string, ReplicaBatch>& batches) {
  std::vector<ring::MemberIndex> before;
  store_.for_each_in_hash_range(0, ~uint64_t{0}, [&](const store::KeyRecord& record) {
    const uint64_t hash = key_hash(record.key);
    if (target_.empty() || !is_self(target_.owner(hash), target_)) return;
    target_.preference_list(hash, options_.replicas, scratch_);
    synced_ring_.preference_list(hash, options_.replicas, before);
    // Members that were on the list while this node owned the key already hold it.
    const bool owned_before = !before.empty() && is_self(before[0], synced_ring_);
    for (ring::MemberIndex m : scratch_) {
      if (is_self(m, target_)) continue;
      const std::string& id = target_.member(m).id;
      const bool had_it =
          owned_before && std::any_of(before.begin(), before.end(), [&](ring::MemberIndex b) {
            return synced_ring_.member(b).id == id;
          });
      if (!had_it) add_record(batches, id, record);
    }
  });
  synced_ring_ = target_;
}

void ClusterNode::on_replicas(const ReplicaBatch& batch) {
  for (const store::KeyRecord& record : batch.records) {
    if (store_.install(record)) ++stats_.replica_records_installed;
  }
}

}  // namespace drl::cluster
