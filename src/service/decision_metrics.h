// Counters of decided checks by policy and result, for the metrics page. Each thread that
// decides writes its own shard (relaxed atomics, no sharing of cache lines on the hot path);
// a scrape sums the shards. Policies are counted by slot: 0 is "inline limits", slots 1..
// are policy names in the order first seen (slots survive policy reloads). Thread-safe.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace drl::service {

enum class CheckResultKind : uint8_t { kAllowed = 0, kDenied = 1, kError = 2 };

class DecisionMetrics {
 public:
  static constexpr size_t kSlots = 128;  // slot kSlots-1 collects names beyond the table
  static constexpr size_t kInlineSlot = 0;

  DecisionMetrics();
  // The slot of a policy name, assigned on first sight. Not for the hot path (takes a lock).
  uint16_t slot_for(std::string_view policy);
  void count(uint16_t slot, CheckResultKind kind);

  struct Row {
    std::string policy;  // "(inline)" for slot 0
    uint64_t allowed = 0, denied = 0, error = 0;
  };
  std::vector<Row> snapshot() const;

 private:
  static constexpr size_t kShards = 16;
  struct alignas(64) Shard {
    std::array<std::array<std::atomic<uint64_t>, 3>, kSlots> counts{};
  };
  Shard& my_shard();

  std::unique_ptr<Shard[]> shards_;
  std::atomic<size_t> next_shard_{0};
  mutable std::mutex names_mutex_;
  std::vector<std::string> names_;  // guarded by names_mutex_
};

}  // namespace drl::service
