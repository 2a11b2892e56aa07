#include "store/store.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <vector>

#include "common/key_hash.h"
#include "store/memory_budget.h"
#include "store/shard.h"
#include "store/spin_lock.h"

namespace drl::store {
namespace {

constexpr size_t kMaxShards = size_t{1} << 16;
// Slots a budgeted sweep looks at per hold of a shard's lock.
constexpr size_t kSweepChunk = 512;

// The cheap part of limits::validate, so a bad limit that slipped past the caller's
// validation is denied instead of dividing by zero.
bool decidable(const limits::Limit& limit) {
  return static_cast<uint8_t>(limit.algorithm) <=
             static_cast<uint8_t>(limits::Algorithm::kSlidingWindow) &&
         limit.limit != 0 && limit.limit <= limits::kMaxCount &&
         (limit.window > 0 || limit.calendar != limits::Calendar::kNone);
}

// Does [a, b] meet [lo, hi] (lo > hi: the range wraps around)?
bool meets(uint64_t a, uint64_t b, uint64_t lo, uint64_t hi) {
  return lo <= hi ? !(b < lo || a > hi) : (b >= lo || a <= hi);
}

}  // namespace

struct Store::Impl {
  explicit Impl(const StoreOptions& options)
      : max_memory_bytes(options.max_memory_bytes), budget(options.max_memory_bytes) {
    const size_t wanted = std::clamp<size_t>(options.shards, 1, kMaxShards);
    shard_count = std::bit_ceil(wanted);
    shard_bits = std::countr_zero(shard_count);
    shards = std::make_unique<Shard[]>(shard_count);
    // Remembering evicted keys takes a sixteenth of the budget: 10 bits a key in each of
    // two generations, ~6,500 keys per generation and 1 MB of budget (about 1.5 times the
    // keys that budget holds at ~60 bytes a key).
    const size_t filter_bytes = options.max_memory_bytes / 16 / shard_count;
    const size_t per_generation = filter_bytes * 8 / 2 / 10;
    for (size_t i = 0; i < shard_count; ++i) {
      shards[i].attach(&budget,
                       options.on_memory_full == MemoryFullMode::kNodeDefault
                           ? MemoryFullMode::kRefuse
                           : options.on_memory_full,
                       per_generation);
    }
    budget.add(static_cast<int64_t>(sizeof(Impl) + shard_count * sizeof(Shard)));
  }

  size_t shard_index(uint64_t hash) const {
    return shard_bits == 0 ? 0 : static_cast<size_t>(hash >> (64 - shard_bits));
  }
  Shard& shard_for(uint64_t hash) { return shards[shard_index(hash)]; }
  // The hashes shard i holds: [first, last].
  uint64_t first_hash(size_t i) const {
    return shard_bits == 0 ? 0 : uint64_t{i} << (64 - shard_bits);
  }
  uint64_t last_hash(size_t i) const {
    return i + 1 == shard_count ? UINT64_MAX : first_hash(i + 1) - 1;
  }

  size_t max_memory_bytes;
  MemoryBudget budget;  // declared first: the shards point at it until they are gone
  size_t shard_count = 1;
  int shard_bits = 0;
  std::unique_ptr<Shard[]> shards;
  std::atomic<size_t> expire_cursor{0};
  SpinLock harvest_mu;
  uint64_t last_harvest ABSL_GUARDED_BY(harvest_mu) = 0;
};

Store::Store(StoreOptions options) : impl_(std::make_unique<Impl>(options)) {}
Store::~Store() = default;

limits::Decision Store::apply(std::string_view key, const limits::Limit& limit,
                              const limits::Request& request, TimePoint now, MemoryRule rule) {
  if (!decidable(limit)) {
    limits::Decision denied;
    denied.limit = limit.limit;
    denied.retry_after = limits::kNever;
    return denied;
  }
  const uint64_t hash = key_hash(key);
  Shard& shard = impl_->shard_for(hash);
  SpinLockHolder lock(shard.mu);
  return shard.apply(hash, key, limit, request, now, rule);
}

void Store::prefetch(std::string_view key) const {
  const uint64_t hash = key_hash(key);
  Shard& shard = impl_->shard_for(hash);
  SpinLockHolder lock(shard.mu);
  shard.prefetch(hash);
}

void Store::prefetch_key_bytes(std::string_view key) const {
  const uint64_t hash = key_hash(key);
  Shard& shard = impl_->shard_for(hash);
  SpinLockHolder lock(shard.mu);
  shard.prefetch_key_bytes(hash);
}

size_t Store::expire(TimePoint now, size_t budget) {
  if (budget == 0) return 0;
  // Bounded work per call: a budgeted call scans a window of each shard's slots (a sixteenth
  // of it), resuming where the last call stopped, so a whole pass takes about 16 calls
  // whatever the table's size. The window is scanned kSweepChunk slots per lock hold, so a
  // check on the same shard waits a few microseconds at most. Unbudgeted: every slot.
  const size_t start = impl_->expire_cursor.fetch_add(1, std::memory_order_relaxed);
  size_t dropped = 0;
  for (size_t k = 0; k < impl_->shard_count && dropped < budget; ++k) {
    Shard& shard = impl_->shards[(start + k) & (impl_->shard_count - 1)];
    if (budget == SIZE_MAX) {
      SpinLockHolder lock(shard.mu);
      dropped += shard.expire(now, SIZE_MAX, SIZE_MAX);
      continue;
    }
    size_t window = 0;
    {
      SpinLockHolder lock(shard.mu);
      window = shard.sweep_window();
    }
    for (size_t scanned = 0; scanned < window && dropped < budget; scanned += kSweepChunk) {
      SpinLockHolder lock(shard.mu);
      dropped += shard.expire(now, budget - dropped, std::min(kSweepChunk, window - scanned));
    }
  }
  return dropped;
}

StoreStats Store::stats() const {
  StoreStats s;
  for (size_t i = 0; i < impl_->shard_count; ++i) {
    Shard& shard = impl_->shards[i];
    SpinLockHolder lock(shard.mu);
    s.keys += shard.keys();
    const ShardCounters c = shard.counters();
    s.expired += c.expired;
    s.evicted += c.evicted;
    s.evicted_expired += c.evicted_expired;
    s.untracked += c.untracked;
    s.reset_flagged += c.reset_flagged;
    s.install_refused += c.install_refused;
  }
  s.max_memory_bytes = impl_->max_memory_bytes;
  s.memory_bytes = static_cast<uint64_t>(impl_->budget.used());
  return s;
}

uint64_t Store::change_sequence() const {
  uint64_t sum = 0;
  for (size_t i = 0; i < impl_->shard_count; ++i) sum += impl_->shards[i].changes();
  return sum;
}

uint64_t Store::changed_since(uint64_t seq,
                              const std::function<void(const KeyRecord&)>& visit) const {
  SpinLockHolder harvest(impl_->harvest_mu);
  const uint64_t next = change_sequence();
  // The dirty bits say "changed since the last harvest"; any other starting point gets
  // every key (a superset, still each key once).
  const bool exact = seq == impl_->last_harvest;
  std::vector<KeyRecord> batch;
  for (size_t i = 0; i < impl_->shard_count; ++i) {
    Shard& shard = impl_->shards[i];
    {
      SpinLockHolder lock(shard.mu);
      shard.harvest(exact, batch);
    }
    for (const KeyRecord& r : batch) visit(r);
    batch.clear();
  }
  impl_->last_harvest = next;
  return next;
}

void Store::for_each_in_hash_range(uint64_t lo, uint64_t hi,
                                   const std::function<void(const KeyRecord&)>& visit) const {
  std::vector<KeyRecord> batch;
  for (size_t i = 0; i < impl_->shard_count; ++i) {
    if (!meets(impl_->first_hash(i), impl_->last_hash(i), lo, hi)) continue;
    Shard& shard = impl_->shards[i];
    {
      SpinLockHolder lock(shard.mu);
      shard.collect_range(lo, hi, batch);
    }
    for (const KeyRecord& r : batch) visit(r);
    batch.clear();
  }
}

uint64_t Store::count_hashes(const std::function<bool(uint64_t)>& counted) const {
  uint64_t n = 0;
  for (size_t i = 0; i < impl_->shard_count; ++i) {
    Shard& shard = impl_->shards[i];
    SpinLockHolder lock(shard.mu);
    n += shard.count_hashes(counted);
  }
  return n;
}

bool Store::install(const KeyRecord& record) {
  const uint64_t hash = key_hash(record.key);
  Shard& shard = impl_->shard_for(hash);
  SpinLockHolder lock(shard.mu);
  return shard.install(hash, record);
}

bool Store::erase(std::string_view key) {
  const uint64_t hash = key_hash(key);
  Shard& shard = impl_->shard_for(hash);
  SpinLockHolder lock(shard.mu);
  return shard.erase(hash, key);
}

void Store::reserve(uint64_t keys) {
  const uint64_t per_shard = (keys + impl_->shard_count - 1) / impl_->shard_count;
  for (size_t i = 0; i < impl_->shard_count; ++i) {
    Shard& shard = impl_->shards[i];
    SpinLockHolder lock(shard.mu);
    shard.reserve(static_cast<size_t>(per_shard));
  }
}

bool Store::record(std::string_view key, KeyRecord& out) const {
  const uint64_t hash = key_hash(key);
  Shard& shard = impl_->shard_for(hash);
  SpinLockHolder lock(shard.mu);
  return shard.record(hash, key, out);
}

}  // namespace drl::store
