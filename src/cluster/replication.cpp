// Replication: every replication_interval the node ships the current state of the keys it
// decided (as owner, or off-owner during fail-over and hand-off) to the other members of
// their preference lists. State, not operations: idempotent, ordered by KeyRecord::version.
#include "cluster/cluster_node.h"
#include "common/key_hash.h"

namespace drl::cluster {

void ClusterNode::replicate(TimePoint now) {
  if (now < next_replication_) return;
  next_replication_ = now + options_.replication_interval;
  std::map<std::string, ReplicaBatch> batches;
  replicated_seq_ = store_.changed_since(replicated_seq_, [&](const store::KeyRecord& record) {
    if (target_.empty()) return;
    target_.preference_list(key_hash(record.key), options_.replicas, scratch_);
    // Installed replicas change the store too; only the decider ships them on.
    if (!is_self(scratch_[0], target_) && !off_owner_keys_.contains(record.key)) return;
    for (ring::MemberIndex m : scratch_) {
      if (is_self(m, target_)) continue;
      const std::string& to = target_.member(m).id;
      ReplicaBatch& batch = batches[to];
      batch.records.push_back(record);
      ++stats_.replica_records_sent;
      if (batch.records.size() >= options_.max_records_per_message) {
        outgoing_.push_back({to, std::exchange(batch, {})});
      }
    }
  });
  off_owner_keys_.clear();
  for (auto& [to, batch] : batches) {
    if (!batch.records.empty()) outgoing_.push_back({to, std::move(batch)});
  }
}

void ClusterNode::on_replicas(const ReplicaBatch& batch) {
  for (const store::KeyRecord& record : batch.records) {
    if (store_.install(record)) ++stats_.replica_records_installed;
  }
}

}  // namespace drl::cluster
