#include "store/shard.h"

#include <algorithm>
#include <bit>

#include "common/key_hash.h"
#include "limits/algorithm.h"

namespace drl::store {
namespace {

using limits::Algorithm;

// Control bytes: empty, tombstone, or 0x80 | 7 bits of the hash (a cheap pre-filter, so a
// probe touches an Entry only when its tag matches).
constexpr uint8_t kEmpty = 0;
constexpr uint8_t kTombstone = 1;
constexpr uint8_t kFull = 0x80;
constexpr size_t kMinCapacity = 16;
// Sampled candidates per live eviction; the one expiring soonest goes.
constexpr size_t kEvictionSample = 8;
// Live evictions one over-budget call may make for heap keys and logs.
constexpr size_t kMaxEvictionsPerCall = 16;
// How far ahead a rebuild prefetches heap keys.
constexpr size_t kRehashPrefetch = 8;
// kRefuse: how often (store time) a full shard may scan for expired keys to make room; a
// shard at its budget refusing every new key must not scan its table on every check.
constexpr Nanos kReclaimEvery = kSecond;
// Bookkeeping a sliding log costs beyond its key and timestamps (hash node, vector header).
constexpr int64_t kLogOverhead = 64;

bool is_full(uint8_t c) { return c >= kFull; }
uint8_t tag_of(uint64_t hash) { return static_cast<uint8_t>(kFull | ((hash >> 32) & 0x7F)); }
// Linear probing stays short below 85% occupancy (live + tombstones).
bool over_max_load(size_t used, size_t capacity) { return used * 20 > capacity * 17; }
// A rebuilt table starts at 60% load: grows by ~1.4x, keeping the average load near 72%.
size_t capacity_for(size_t live) { return std::max(kMinCapacity, live * 5 / 3 + 1); }
size_t dirty_words(size_t capacity) { return (capacity + 63) / 64; }
int64_t table_bytes(size_t capacity) {
  return static_cast<int64_t>(capacity * (sizeof(Entry) + 1) +
                              dirty_words(capacity) * sizeof(uint64_t));
}
int64_t log_cost(std::string_view key, const limits::SlidingLog& log) {
  return static_cast<int64_t>(key.size() + log.capacity() * sizeof(TimePoint)) + kLogOverhead;
}
int64_t heap_cost(std::string_view key) {
  return key.size() > kInlineKeyMax ? static_cast<int64_t>(key.size() + kHeapKeyOverhead) : 0;
}
// The answer for a key the budget could not store (kRefuse): the caller's rule decides it;
// `fresh` is what the algorithm would have said from a full budget.
limits::Decision untracked(const limits::Decision& fresh, const MemoryRule& rule,
                           const limits::Request& request, TimePoint now) {
  limits::Decision d;
  d.untracked = true;
  d.reset_by_eviction = fresh.reset_by_eviction;
  d.limit = fresh.limit;
  d.reset_at = now;
  if (rule.admit_untracked || request.shadow) {
    d.allowed = true;
    d.shadow_denied = !rule.admit_untracked;
  } else {
    d.retry_after = kUntrackedRetryAfter;
  }
  return d;
}
// Debian's abseil has its own string_view type; its string-keyed maps look up by that.
absl::string_view as_absl(std::string_view s) { return {s.data(), s.size()}; }
bool in_range(uint64_t h, uint64_t lo, uint64_t hi) {
  return lo <= hi ? (h >= lo && h <= hi) : (h >= lo || h <= hi);
}

// The order harvest() and collect_range() visit a table in: blocks of 64 slots (one dirty
// word), the blocks in bit-reversed order. Why not slot order: a slot's place follows its
// key's home, so in slot order keys come sorted by the bits that pick a home in any table,
// and a table that installs them as they come (a hand-off, a replica, a snapshot's load)
// while smaller than it will be gets every key at the end of one growing run of full slots:
// quadratic time. In this order the keys handed out so far spread over the whole table.
constexpr size_t kBlockSlots = 64;
class SpreadBlocks {
 public:
  explicit SpreadBlocks(size_t capacity)
      : capacity_(capacity),
        blocks_((capacity + kBlockSlots - 1) / kBlockSlots),
        bits_(std::bit_width(std::bit_ceil(blocks_)) - 1) {}
  // The next block's slots, [first, end); false once every block was given.
  bool next(size_t& first, size_t& end) {
    while (r_ < (size_t{1} << bits_)) {
      size_t b = 0;
      for (int k = 0; k < bits_; ++k) b |= ((r_ >> k) & 1) << (bits_ - 1 - k);
      ++r_;
      if (b >= blocks_) continue;
      first = b * kBlockSlots;
      end = std::min(capacity_, first + kBlockSlots);
      return true;
    }
    return false;
  }

 private:
  size_t capacity_, blocks_;
  int bits_;
  size_t r_ = 0;
};

}  // namespace

Shard::~Shard() {
  SpinLockHolder lock(mu);
  for (size_t i = 0; i < capacity_; ++i) {
    if (is_full(ctrl_[i])) free_key(entries_[i], keys_);
  }
}

void Shard::attach(MemoryBudget* budget, MemoryFullMode default_mode, size_t evicted_capacity) {
  SpinLockHolder lock(mu);
  budget_ = budget;
  default_mode_ = default_mode;
  if (budget->limited()) {
    evicted_ = std::make_unique<EvictedKeys>(evicted_capacity);
    account(static_cast<int64_t>(evicted_->bytes()));
  }
}

void Shard::account(int64_t delta) {
  bytes_ += delta;
  budget_->add(delta);
}

size_t Shard::find(uint64_t hash, std::string_view key) const {
  if (capacity_ == 0) return kNotFound;
  const uint8_t tag = tag_of(hash);
  size_t i = home(hash);
  __builtin_prefetch(&entries_[i]);
  for (;;) {
    const uint8_t c = ctrl_[i];
    if (c == kEmpty) return kNotFound;
    if (c == tag && key_equals(entries_[i], key)) return i;
    if (++i == capacity_) i = 0;
  }
}

void Shard::prefetch_key_bytes(uint64_t hash) const {
  if (capacity_ == 0) return;
  const uint8_t tag = tag_of(hash);
  for (size_t i = home(hash);;) {
    const uint8_t c = ctrl_[i];
    if (c == kEmpty) return;
    if (c == tag) {
      if (entries_[i].key_len == kHeapKey) __builtin_prefetch(key_of(entries_[i]).data());
      return;
    }
    if (++i == capacity_) i = 0;
  }
}

limits::Decision Shard::apply(uint64_t hash, std::string_view key, const limits::Limit& limit,
                              const limits::Request& request, TimePoint now, MemoryRule rule) {
  last_now_ = std::max(last_now_, now);
  size_t slot = find(hash, key);
  const bool refuse = refuses(rule.on_full);
  const bool reset = slot == kNotFound && evicted_ != nullptr && evicted_->recalls(hash);
  counters_.reset_flagged += reset;
  bool fresh = true;
  limits::State state{};
  if (slot != kNotFound) {
    const Entry& e = entries_[slot];
    if (!is_expired(e, now) && algorithm_of(e) == limit.algorithm) {
      fresh = false;
      state = e.state;
    }
  }
  const bool sliding = limit.algorithm == Algorithm::kSlidingLog;
  limits::SlidingLog* log = nullptr;
  int64_t log_held = 0;
  size_t log_size = 0;
  TimePoint log_front = 0;
  TimePoint log_back = 0;
  if (sliding) {
    log = log_for(key, /*create=*/false);
    if (log != nullptr) {
      log_held = log_cost(key, *log);
    } else {
      log = log_for(key, /*create=*/true);
    }
    if (fresh) log->clear();
    log_size = log->size();
    if (!log->empty()) log_front = log->front(), log_back = log->back();
  }

  const limits::State before = state;
  limits::Decision decision = limits::decide(limit, state, log, request, now);
  decision.reset_by_eviction = reset;

  bool changed = state != before;
  if (sliding) {
    changed = changed || log->size() != log_size ||
              (!log->empty() && (log->front() != log_front || log->back() != log_back));
    set_log_bytes(key, log, log_held);  // the accounting now matches the log as it is
  }
  if (!changed) {
    if (sliding && slot == kNotFound && log->empty()) erase_log(key);
    return decision;
  }

  const TimePoint expires = limits::algorithm_for(limit.algorithm).expires_at(limit, state, log);
  if (expires <= now) {
    // The new state already decides like a fresh one: nothing worth keeping.
    if (slot != kNotFound) {
      remove(slot);
      ++counters_.expired;
    }
    if (sliding) erase_log(key);
    return decision;
  }

  if (slot == kNotFound) {
    if (refuse && budget_->limited() && !has_room(heap_cost(key), now)) {
      if (sliding) erase_log(key);
      ++counters_.untracked;
      return untracked(decision, rule, request, now);
    }
    slot = insert(hash, key, now);
  } else if (algorithm_of(entries_[slot]) == Algorithm::kSlidingLog && !sliding) {
    erase_log(key);  // the key changed algorithm: its old timestamps mean nothing now
  }
  Entry& e = entries_[slot];
  e.state = state;
  e.expiry_s = expiry_seconds(expires);
  set_algorithm(e, limit.algorithm);
  ++e.version;
  e.meta = refuse ? (e.meta | kPinnedBit) : (e.meta & static_cast<uint8_t>(~kPinnedBit));
  mark_changed(slot);
  if (budget_->exceeded()) enforce_budget(now, slot, !refuse);
  return decision;
}

void Shard::mark_changed(size_t slot) {
  Entry& e = entries_[slot];
  if (!is_dirty(e)) {
    e.meta |= kDirtyBit;
    dirty_[slot / 64] |= uint64_t{1} << (slot % 64);
  }
  changes_.store(changes_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

size_t Shard::insert(uint64_t hash, std::string_view key, TimePoint now) {
  make_room(now);
  size_t i = home(hash);
  while (is_full(ctrl_[i])) {
    if (++i == capacity_) i = 0;
  }
  if (ctrl_[i] == kTombstone) --tombstones_;
  ctrl_[i] = tag_of(hash);
  Entry& e = entries_[i];
  e = Entry{};
  const auto heap = static_cast<int64_t>(set_key(e, key, keys_));
  side_bytes_ += heap;
  account(heap);
  ++live_;
  return i;
}

void Shard::make_room(TimePoint now) {
  if (capacity_ != 0 && !over_max_load(live_ + tombstones_ + 1, capacity_)) return;
  size_t target = capacity_for(live_ + 1);
  if (capacity_ != 0 && target > capacity_ &&
      budget_->would_exceed(table_bytes(target) - table_bytes(capacity_))) {
    // Growing would break the budget: reclaim expired keys first, then live ones (the
    // soonest to expire of a sample), down to 70% load, and rebuild in place.
    counters_.evicted_expired += drop_expired(now);
    while ((live_ + 1) * 10 > capacity_ * 7 && evict_one_live(kNotFound)) {
    }
    target = std::min(capacity_, capacity_for(live_ + 1));
    // What is left is pinned (stored under kRefuse): grow past the budget rather than fill
    // the table (docs/design.md, "Memory pressure": mixing modes).
    if (over_max_load(live_ + 1, target)) target = capacity_for(live_ + 1);
  }
  rehash(target);
}

void Shard::rehash(size_t new_capacity) {
  std::unique_ptr<uint8_t[]> old_ctrl = std::move(ctrl_);
  EntryArray old_entries = std::move(entries_);
  const size_t old_capacity = capacity_;
  account(table_bytes(new_capacity) - table_bytes(old_capacity));
  capacity_ = new_capacity;
  tombstones_ = 0;
  sweep_cursor_ = 0;
  evict_cursor_ = 0;
  dirty_.reset();
  if (new_capacity == 0) return;
  ctrl_ = std::make_unique<uint8_t[]>(new_capacity);
  entries_ = allocate_entries(new_capacity);
  dirty_ = std::make_unique<uint64_t[]>(dirty_words(new_capacity));
  for (size_t i = 0; i < old_capacity; ++i) {
    // Hashing a heap key reads its block, a cache miss each: ask for the block a few slots
    // ahead so the misses overlap. (Writes go to ascending homes, so they stream.)
    if (const size_t ahead = i + kRehashPrefetch; ahead < old_capacity &&
                                                  is_full(old_ctrl[ahead]) &&
                                                  old_entries[ahead].key_len == kHeapKey) {
      __builtin_prefetch(key_of(old_entries[ahead]).data());
    }
    if (!is_full(old_ctrl[i])) continue;
    const Entry& e = old_entries[i];
    size_t j = home(key_hash(key_of(e)));
    while (ctrl_[j] != kEmpty) {
      if (++j == capacity_) j = 0;
    }
    ctrl_[j] = old_ctrl[i];
    entries_[j] = e;
    if (is_dirty(e)) dirty_[j / 64] |= uint64_t{1} << (j % 64);
  }
}

void Shard::remove(size_t slot) {
  Entry& e = entries_[slot];
  if (algorithm_of(e) == Algorithm::kSlidingLog) erase_log(key_of(e));
  const auto freed = static_cast<int64_t>(free_key(e, keys_));
  side_bytes_ -= freed;
  account(-freed);
  e.meta = 0;
  ctrl_[slot] = kTombstone;
  ++tombstones_;
  --live_;
  // A tombstone followed by an empty slot ends every probe that reaches it, so it (and the
  // tombstones right before it) can become empty again.
  const size_t next = slot + 1 == capacity_ ? 0 : slot + 1;
  if (ctrl_[next] != kEmpty) return;
  size_t i = slot;
  while (ctrl_[i] == kTombstone) {
    ctrl_[i] = kEmpty;
    --tombstones_;
    i = i == 0 ? capacity_ - 1 : i - 1;
  }
}

void Shard::maybe_shrink() {
  if (live_ == 0) {
    if (capacity_ != 0) rehash(0);
    return;
  }
  if (capacity_ > kMinCapacity && live_ * 4 < capacity_) rehash(capacity_for(live_));
}

size_t Shard::drop_expired(TimePoint now) {
  size_t dropped = 0;
  for (size_t i = 0; i < capacity_; ++i) {
    if (is_full(ctrl_[i]) && is_expired(entries_[i], now)) {
      remove(i);
      ++dropped;
    }
  }
  return dropped;
}

bool Shard::evict_one_live(size_t protect) {
  if (capacity_ == 0) return false;
  size_t best = kNotFound;
  uint32_t best_expiry = UINT32_MAX;
  size_t seen = 0;
  size_t i = evict_cursor_ < capacity_ ? evict_cursor_ : 0;
  for (size_t n = 0; n < capacity_ && seen < kEvictionSample; ++n) {
    if (is_full(ctrl_[i]) && i != protect && (entries_[i].meta & kPinnedBit) == 0) {
      ++seen;
      if (best == kNotFound || entries_[i].expiry_s < best_expiry) {
        best = i;
        best_expiry = entries_[i].expiry_s;
      }
    }
    if (++i == capacity_) i = 0;
  }
  evict_cursor_ = i;
  if (best == kNotFound) return false;
  if (evicted_ != nullptr) evicted_->remember(key_hash(key_of(entries_[best])));
  remove(best);
  ++counters_.evicted;
  return true;
}

void Shard::enforce_budget(TimePoint now, size_t protect, bool evict) {
  // Tables are held to the budget when they grow (make_room); past it, only heap keys and
  // sliding logs can still push the store over, and only evicting keys returns that memory.
  if (side_bytes_ == 0) return;
  if (!evict) {
    // kRefuse evicts nothing live: a held sliding log that grows may take the store past
    // its budget, and new keys are refused until expiry brings it back.
    if (now < next_reclaim_) return;
    next_reclaim_ = now + kReclaimEvery;
    counters_.evicted_expired += drop_expired(now);
    maybe_shrink();
    return;
  }
  counters_.evicted_expired += drop_expired(now);
  for (size_t n = 0; n < kMaxEvictionsPerCall && budget_->exceeded() && side_bytes_ > 0; ++n) {
    if (!evict_one_live(protect)) break;
  }
  maybe_shrink();
}

bool Shard::has_room(int64_t side_bytes, TimePoint now) {
  const auto extra = [&] {
    int64_t bytes = side_bytes;
    if (capacity_ == 0 || over_max_load(live_ + tombstones_ + 1, capacity_)) {
      bytes += table_bytes(capacity_for(live_ + 1)) - table_bytes(capacity_);
    }
    return bytes;
  };
  if (!budget_->would_exceed(extra())) return true;
  if (now < next_reclaim_) return false;
  next_reclaim_ = now + kReclaimEvery;
  const size_t dropped = drop_expired(now);
  counters_.evicted_expired += dropped;
  return dropped != 0 && !budget_->would_exceed(extra());
}

size_t Shard::expire(TimePoint now, size_t max_drop, size_t max_scan) {
  last_now_ = std::max(last_now_, now);
  size_t dropped = 0;
  for (size_t n = 0; capacity_ != 0 && n < capacity_ && n < max_scan && dropped < max_drop; ++n) {
    const size_t i = sweep_cursor_ < capacity_ ? sweep_cursor_ : 0;
    if (is_full(ctrl_[i]) && is_expired(entries_[i], now)) {
      remove(i);
      ++dropped;
    }
    sweep_cursor_ = i + 1 == capacity_ ? 0 : i + 1;
  }
  counters_.expired += dropped;
  if (dropped != 0) maybe_shrink();
  return dropped;
}

bool Shard::install(uint64_t hash, const KeyRecord& record) {
  if (static_cast<uint8_t>(record.algorithm) > static_cast<uint8_t>(Algorithm::kSlidingWindow)) {
    return false;
  }
  const auto version = static_cast<uint32_t>(record.version);
  const uint32_t expiry = expiry_seconds(record.expires_at);
  const bool refuse = refuses(MemoryFullMode::kNodeDefault);
  size_t slot = find(hash, record.key);
  if (slot != kNotFound) {
    const Entry& held = entries_[slot];
    const auto diff = static_cast<int32_t>(version - held.version);
    // Older version but a later expiry: the owner dropped the key and started it again
    // (versions restart at 1), so this record is the newer incarnation.
    const bool reborn = diff < 0 && expiry > held.expiry_s;
    if (diff <= 0 && !reborn) return false;
    if (algorithm_of(held) == Algorithm::kSlidingLog) erase_log(record.key);
  } else {
    const int64_t log_bytes =
        record.algorithm == Algorithm::kSlidingLog ? log_cost(record.key, record.log) : 0;
    if (refuse && budget_->limited() && !has_room(heap_cost(record.key) + log_bytes, last_now_)) {
      ++counters_.install_refused;
      return false;
    }
    slot = insert(hash, record.key, last_now_);
  }
  Entry& e = entries_[slot];
  e.state = record.state;
  e.expiry_s = expiry;
  set_algorithm(e, record.algorithm);
  e.version = version;
  if (refuse) e.meta |= kPinnedBit;
  mark_changed(slot);
  if (record.algorithm == Algorithm::kSlidingLog) {
    limits::SlidingLog* log = log_for(record.key, /*create=*/true);
    *log = record.log;
    int64_t held = 0;
    set_log_bytes(record.key, log, held);
  }
  if (budget_->exceeded()) enforce_budget(last_now_, slot, !refuse);
  return true;
}

void Shard::reserve(size_t keys) {
  const size_t target = capacity_for(keys);
  if (target <= capacity_ || budget_->would_exceed(table_bytes(target) - table_bytes(capacity_))) {
    return;
  }
  rehash(target);
}

bool Shard::erase(uint64_t hash, std::string_view key) {
  const size_t slot = find(hash, key);
  if (slot == kNotFound) return false;
  remove(slot);
  maybe_shrink();
  return true;
}

KeyRecord Shard::record_of(size_t slot) const {
  KeyRecord r;
  fill_record(slot, r);
  return r;
}

void Shard::fill_record(size_t slot, KeyRecord& r) const {
  const Entry& e = entries_[slot];
  r.key.assign(key_of(e));
  r.algorithm = algorithm_of(e);
  r.state = e.state;
  r.log.clear();
  if (r.algorithm == Algorithm::kSlidingLog) {
    if (auto it = logs_.find(r.key); it != logs_.end()) r.log = it->second;
  }
  r.expires_at = expiry_time(e);
  r.version = e.version;
}

void Shard::harvest(bool only_dirty, std::vector<KeyRecord>& out) {
  if (capacity_ == 0) return;
  SpreadBlocks blocks(capacity_);
  for (size_t first = 0, end = 0; blocks.next(first, end);) {
    uint64_t& word = dirty_[first / kBlockSlots];
    if (only_dirty) {
      for (uint64_t bits = word; bits != 0; bits &= bits - 1) {
        const size_t i = first + static_cast<size_t>(std::countr_zero(bits));
        if (is_full(ctrl_[i]) && is_dirty(entries_[i])) {
          out.push_back(record_of(i));
          entries_[i].meta &= static_cast<uint8_t>(~kDirtyBit);
        }
      }
    } else {
      for (size_t i = first; i < end; ++i) {
        if (!is_full(ctrl_[i])) continue;
        out.push_back(record_of(i));
        entries_[i].meta &= static_cast<uint8_t>(~kDirtyBit);
      }
    }
    word = 0;
  }
}

bool Shard::record(uint64_t hash, std::string_view key, KeyRecord& out) const {
  const size_t slot = find(hash, key);
  if (slot == kNotFound) return false;
  fill_record(slot, out);
  return true;
}

void Shard::collect_range(uint64_t lo, uint64_t hi, std::vector<KeyRecord>& out) const {
  SpreadBlocks blocks(capacity_);
  for (size_t first = 0, end = 0; blocks.next(first, end);) {
    for (size_t i = first; i < end; ++i) {
      if (is_full(ctrl_[i]) && in_range(key_hash(key_of(entries_[i])), lo, hi)) {
        out.push_back(record_of(i));
      }
    }
  }
}

size_t Shard::count_hashes(const std::function<bool(uint64_t)>& counted) const {
  size_t n = 0;
  for (size_t i = 0; i < capacity_; ++i) {
    n += is_full(ctrl_[i]) && counted(key_hash(key_of(entries_[i])));
  }
  return n;
}

limits::SlidingLog* Shard::log_for(std::string_view key, bool create) {
  if (auto it = logs_.find(as_absl(key)); it != logs_.end()) return &it->second;
  if (!create) return nullptr;
  return &logs_.try_emplace(std::string(key)).first->second;
}

void Shard::erase_log(std::string_view key) {
  auto it = logs_.find(as_absl(key));
  if (it == logs_.end()) return;
  const int64_t cost = log_cost(key, it->second);
  side_bytes_ -= cost;
  account(-cost);
  logs_.erase(it);
}

void Shard::set_log_bytes(std::string_view key, const limits::SlidingLog* log, int64_t& held) {
  const int64_t cost = log_cost(key, *log);
  side_bytes_ += cost - held;
  account(cost - held);
  held = cost;
}

}  // namespace drl::store
