// The key -> state table. Sharded; each shard has its own lock, so threads deciding
// different keys rarely meet, and one key's decisions are serialised (exactly once each).
// State expires as soon as it cannot change a decision. A memory budget reclaims expired
// keys first; past that, what happens to a new key is the memory-full mode (per call, else
// the store's): kRefuse never evicts a live key and leaves the new key untracked
// (Decision::untracked, decided by the caller's rule); kEvict evicts live keys and flags the
// next decision of an evicted key (Decision::reset_by_eviction). Both are counted. Thread-safe:
// every method may be called from any thread. Keys are opaque bytes and are copied in; nothing
// returned borrows the store. It is the memory backend (store/backend.h) and the table the
// other backends decide from.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "limits/limit.h"
#include "limits/policy.h"
#include "limits/state.h"
#include "store/backend.h"
#include "store/memory_rule.h"

namespace drl::store {

struct StoreOptions {
  size_t shards = 64;           // rounded up to a power of two
  size_t max_memory_bytes = 0;  // 0 = unbounded
  // What a call that says kNodeDefault gets (and what replica installs get).
  MemoryFullMode on_memory_full = MemoryFullMode::kRefuse;
};

struct StoreStats {
  uint64_t keys = 0;
  uint64_t memory_bytes = 0;      // what the store accounts for: tables + keys + logs
  uint64_t expired = 0;           // keys dropped because they no longer mattered
  uint64_t evicted = 0;           // live keys dropped to honour the memory budget
  uint64_t evicted_expired = 0;   // expired keys reclaimed by the budget before any live key
  uint64_t untracked = 0;         // decisions on keys the budget left unstored (kRefuse)
  uint64_t reset_flagged = 0;     // decisions flagged reset_by_eviction (kEvict)
  uint64_t install_refused = 0;   // replica/hand-off records not installed: budget (kRefuse)
  uint64_t max_memory_bytes = 0;  // the budget; 0 = unbounded
};

// A key's replicable record: everything a replica needs to decide as the owner would.
struct KeyRecord {
  std::string key;
  limits::Algorithm algorithm = limits::Algorithm::kTokenBucket;
  limits::State state;
  limits::SlidingLog log;  // sliding log only
  TimePoint expires_at = 0;
  uint64_t version = 0;  // per-key, raised on every change by the owner
};

class Store final : public Backend {
 public:
  explicit Store(StoreOptions options = {});
  ~Store() override;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Decides one request for `key` under `limit` at `now` and stores the new state.
  // Precondition: limits::validate(limit) == "" (callers validate a limit once, when they
  // parse it); a limit that cannot be decided at all is denied with retry_after = kNever.
  // A key whose stored state has expired, or was kept for another algorithm, starts fresh.
  // A new key that does not fit the budget is handled by `rule` (see MemoryRule).
  limits::Decision apply(std::string_view key, const limits::Limit& limit,
                         const limits::Request& request, TimePoint now,
                         MemoryRule rule = {}) override;

  // Asks the CPU to start loading the table slots `key` would probe, and returns at once.
  // A caller with several keys to apply prefetches them all first, so their cache misses
  // overlap instead of coming one after another (a large table misses on every lookup).
  void prefetch(std::string_view key) const override;
  // The second stage, once the slots have had time to arrive: for a key kept outside its
  // entry (longer than 14 bytes), starts loading those bytes too, which apply() compares.
  void prefetch_key_bytes(std::string_view key) const override;

  // Drops keys whose state expired at or before `now`, at most `budget` of them per call
  // (so a caller can spread the work). Returns how many were dropped.
  size_t expire(TimePoint now, size_t budget = SIZE_MAX) override;

  StoreStats stats() const override;

  // Replication and hand-off. A change sequence increases with every stored change
  // (apply that changed a state, install); changed_since(seq) visits the keys changed after
  // `seq` (each at most once, in its current state) and returns the sequence to pass next
  // time. It is built for one consumer passing back what it was given: that costs only the
  // changed keys. Any other `seq` (0 included, once a harvest has happened) visits every
  // key, a superset. Records carry expires_at rounded up to whole seconds.
  // `visit` runs with no shard lock held and may call the store, except changed_since.
  uint64_t change_sequence() const override;
  uint64_t changed_since(uint64_t seq,
                         const std::function<void(const KeyRecord&)>& visit) const override;
  // Visits every key whose key_hash lies in [lo, hi] (inclusive; lo > hi wraps around).
  void for_each_in_hash_range(uint64_t lo, uint64_t hi,
                              const std::function<void(const KeyRecord&)>& visit) const override;
  // The number of keys whose key_hash satisfies `counted`: one pass that copies nothing
  // (status and metrics count a node's keys by owner with it). `counted` runs under a shard
  // lock and must not call the store.
  uint64_t count_hashes(const std::function<bool(uint64_t)>& counted) const override;
  // Installs a replica's record: kept only if its version is newer than what is held
  // (versions compare modulo 2^32, serial-number arithmetic), or if it is older but expires
  // later, which is the owner having dropped and restarted the key (versions restart at 1).
  // The same record twice is a no-op. Returns true when installed. A new key that does not
  // fit the budget is evicted for or refused (counted in install_refused) by the store's mode.
  bool install(const KeyRecord& record) override;
  // Removes one key (reset by an operator, or hand-off done). Returns true if it existed.
  bool erase(std::string_view key) override;
  // Copies the key's current record into `out`, reusing its buffers (expired or not); false
  // if the key is not held. For a backend that keeps what changed (the durable one reads a
  // key back after apply()).
  bool record(std::string_view key, KeyRecord& out) const;
  // Sizes every shard for its share of `keys` keys in all (never shrinking one), so loading
  // that many costs no rebuilds. Needed, not just cheaper, for keys that come sorted by home
  // slot (a snapshot written by a drl that walked its tables in slot order): a shard still
  // smaller than it will be would get every key at the end of one growing run of full
  // slots, in quadratic time (docs/optimization.md, "Restart"). A shard whose tables would
  // not fit the memory budget is left as it is.
  void reserve(uint64_t keys);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace drl::store
