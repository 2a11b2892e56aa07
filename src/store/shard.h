// One shard of the store: an open-addressing table (linear probing over a separate array
// of 1-byte control tags, then 40-byte Entries), a side table for sliding-log timestamps,
// and a dirty bitmap for replication. The Store picks the shard from the key hash's top
// bits and holds `mu` around every call below; nothing here is thread-safe on its own.
#pragma once
#include <absl/base/thread_annotations.h>
#include <absl/container/node_hash_map.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "limits/limit.h"
#include "limits/state.h"
#include "store/entry.h"
#include "store/evicted_keys.h"
#include "store/key_arena.h"
#include "store/memory_budget.h"
#include "store/spin_lock.h"
#include "store/store.h"

namespace drl::store {

struct ShardCounters {
  uint64_t expired = 0;
  uint64_t evicted = 0;
  uint64_t evicted_expired = 0;
  uint64_t untracked = 0;
  uint64_t reset_flagged = 0;
  uint64_t install_refused = 0;
};

class alignas(64) Shard {
 public:
  Shard() = default;
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // The budget is shared by every shard of a store and outlives them. `default_mode` is what
  // kNodeDefault means; `evicted_capacity` sizes the filter of evicted key hashes.
  // The filter is made here, not on the first eviction, so its bytes are in the budget before
  // any key is.
  void attach(MemoryBudget* budget, MemoryFullMode default_mode, size_t evicted_capacity);

  SpinLock mu;

  limits::Decision apply(uint64_t hash, std::string_view key, const limits::Limit& limit,
                         const limits::Request& request, TimePoint now, MemoryRule rule)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Starts loading the control byte and the entry at `hash`'s home slot (see Store::prefetch).
  void prefetch(uint64_t hash) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (capacity_ == 0) return;
    const size_t i = home(hash);
    __builtin_prefetch(&ctrl_[i]);
    __builtin_prefetch(&entries_[i].key_len);  // the first field a probe reads
  }
  // Starts loading the key block of the first entry from `hash`'s home whose tag matches
  // (the one apply() will compare), when its key lives in the arena.
  void prefetch_key_bytes(uint64_t hash) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Drops up to `max_drop` expired keys, looking at no more than `max_scan` slots.
  size_t expire(TimePoint now, size_t max_drop, size_t max_scan) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // The slots one budgeted sweep call looks at: a sixteenth of the table (at least 256).
  size_t sweep_window() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return std::max<size_t>(256, capacity_ / 16);
  }
  bool install(uint64_t hash, const KeyRecord& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Grows the table (never shrinks it) so `keys` keys fit without a rebuild, unless that
  // would take the store past its budget (see Store::reserve).
  void reserve(size_t keys) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  bool erase(uint64_t hash, std::string_view key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Copies the record `key` holds into `out` (reusing its buffers); false if none.
  bool record(uint64_t hash, std::string_view key, KeyRecord& out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // Appends the records of changed keys (or of every key when `only_dirty` is false) and
  // marks them clean.
  void harvest(bool only_dirty, std::vector<KeyRecord>& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Appends the records of keys whose hash lies in [lo, hi] (lo > hi wraps around).
  void collect_range(uint64_t lo, uint64_t hi, std::vector<KeyRecord>& out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // The number of keys whose key_hash satisfies `counted`, copying nothing.
  size_t count_hashes(const std::function<bool(uint64_t)>& counted) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  size_t keys() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return live_; }
  ShardCounters counters() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return counters_; }
  // Stored changes so far; readable without the lock (written only under it).
  uint64_t changes() const { return changes_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kNotFound = SIZE_MAX;

  size_t find(uint64_t hash, std::string_view key) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Adds `key` (known absent), making room first; returns its slot.
  size_t insert(uint64_t hash, std::string_view key, TimePoint now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void make_room(TimePoint now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void rehash(size_t new_capacity) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void remove(size_t slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void maybe_shrink() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void mark_changed(size_t slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  size_t drop_expired(TimePoint now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  bool evict_one_live(size_t protect) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void enforce_budget(TimePoint now, size_t protect, bool evict) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // kRefuse: can a key taking `side_bytes` beside its slot (heap key, log) be added without
  // evicting a live key? Reclaims expired keys (at most once per kReclaimEvery of store time) when
  // that makes the room.
  bool has_room(int64_t side_bytes, TimePoint now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  bool refuses(MemoryFullMode mode) const {
    return (mode == MemoryFullMode::kNodeDefault ? default_mode_ : mode) == MemoryFullMode::kRefuse;
  }
  KeyRecord record_of(size_t slot) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void fill_record(size_t slot, KeyRecord& r) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  limits::SlidingLog* log_for(std::string_view key, bool create) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void erase_log(std::string_view key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void set_log_bytes(std::string_view key, const limits::SlidingLog* log, int64_t& held)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void account(int64_t delta) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  size_t home(uint64_t hash) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return static_cast<size_t>((static_cast<uint64_t>(static_cast<uint32_t>(hash)) * capacity_) >>
                               32);
  }

  MemoryBudget* budget_ = nullptr;
  MemoryFullMode default_mode_ = MemoryFullMode::kRefuse;
  // Hashes of live keys evicted here (see EvictedKeys); none when the store is unbounded.
  std::unique_ptr<EvictedKeys> evicted_ ABSL_GUARDED_BY(mu);
  TimePoint next_reclaim_ ABSL_GUARDED_BY(mu) = 0;  // kRefuse: earliest next full reclaim
  size_t capacity_ ABSL_GUARDED_BY(mu) = 0;
  size_t live_ ABSL_GUARDED_BY(mu) = 0;
  size_t tombstones_ ABSL_GUARDED_BY(mu) = 0;
  std::unique_ptr<uint8_t[]> ctrl_ ABSL_GUARDED_BY(mu);
  EntryArray entries_ ABSL_GUARDED_BY(mu);
  // Bit i set: slot i may hold a dirty entry (the entry's own bit is the truth).
  std::unique_ptr<uint64_t[]> dirty_ ABSL_GUARDED_BY(mu);
  KeyArena keys_ ABSL_GUARDED_BY(mu);  // blocks of keys too long to sit in their entry
  // Sliding-log timestamps, by key; only sliding-log keys have one.
  absl::node_hash_map<std::string, limits::SlidingLog> logs_ ABSL_GUARDED_BY(mu);
  int64_t bytes_ ABSL_GUARDED_BY(mu) = 0;
  int64_t side_bytes_ ABSL_GUARDED_BY(mu) = 0;  // heap keys + logs: what evicting frees
  size_t sweep_cursor_ ABSL_GUARDED_BY(mu) = 0;
  size_t evict_cursor_ ABSL_GUARDED_BY(mu) = 0;
  TimePoint last_now_ ABSL_GUARDED_BY(mu) = 0;  // latest time seen, for install's room-making
  ShardCounters counters_ ABSL_GUARDED_BY(mu);
  std::atomic<uint64_t> changes_{0};
};

}  // namespace drl::store
