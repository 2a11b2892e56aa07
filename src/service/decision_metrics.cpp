#include "service/decision_metrics.h"

namespace drl::service {

DecisionMetrics::DecisionMetrics() : shards_(new Shard[kShards]) { names_.push_back("(inline)"); }

uint16_t DecisionMetrics::slot_for(std::string_view policy) {
  std::lock_guard lock(names_mutex_);
  for (size_t i = 1; i < names_.size(); ++i) {
    if (names_[i] == policy) return static_cast<uint16_t>(i);
  }
  if (names_.size() >= kSlots - 1) {
    if (names_.size() == kSlots - 1) names_.push_back("(other)");
    return kSlots - 1;
  }
  names_.emplace_back(policy);
  return static_cast<uint16_t>(names_.size() - 1);
}

DecisionMetrics::Shard& DecisionMetrics::my_shard() {
  // Each thread keeps the shard it got first; threads beyond kShards share (still correct,
  // since increments below are only racy in their count, which we avoid by fetch_add).
  thread_local size_t index = SIZE_MAX;
  if (index == SIZE_MAX) index = next_shard_.fetch_add(1, std::memory_order_relaxed);
  return shards_[index % kShards];
}

void DecisionMetrics::count(uint16_t slot, CheckResultKind kind) {
  if (slot >= kSlots) slot = kSlots - 1;
  my_shard().counts[slot][static_cast<size_t>(kind)].fetch_add(1, std::memory_order_relaxed);
}

std::vector<DecisionMetrics::Row> DecisionMetrics::snapshot() const {
  std::vector<Row> rows;
  {
    std::lock_guard lock(names_mutex_);
    for (const auto& n : names_) rows.push_back(Row{n});
  }
  for (size_t s = 0; s < kShards; ++s) {
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& c = shards_[s].counts[i];
      rows[i].allowed += c[0].load(std::memory_order_relaxed);
      rows[i].denied += c[1].load(std::memory_order_relaxed);
      rows[i].error += c[2].load(std::memory_order_relaxed);
    }
  }
  return rows;
}

}  // namespace drl::service
