// What the cluster and the service layer need from a node's key -> state table: the storage
// backend interface. `store::Store` (store.h) is the memory backend and the table every other
// backend keeps decisions in; a backend that adds something (the durable one writes every
// change of a key that matters to a local log, store/durable/) wraps a Store and forwards.
// A backend is chosen per node by `--storage NAME` (node/storage/backends.cpp registers
// them); docs/design.md "Storage backends" says how to add one.
//
// Contract (every implementation): thread-safe, every method may be called from any thread;
// keys are opaque bytes and are copied in; nothing returned borrows the backend. apply()
// never waits for I/O: a check is decided from memory. The methods' meaning is Store's
// (store.h), which documents each one.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "common/time.h"
#include "limits/limit.h"
#include "store/memory_rule.h"

namespace drl::store {

struct StoreStats;  // store.h
struct KeyRecord;   // store.h

class Backend {
 public:
  virtual ~Backend() = default;

  // Decides one request for `key` under `limit` at `now`, atomically per key, and keeps the
  // new state (a cost of 0 peeks; request.reset forgets the key first); a new key the memory
  // budget cannot hold is handled by `rule` (memory_rule.h).
  virtual limits::Decision apply(std::string_view key, const limits::Limit& limit,
                                 const limits::Request& request, TimePoint now,
                                 MemoryRule rule = {}) = 0;
  // Cache hints before a batch of apply() calls (Store::prefetch, prefetch_key_bytes).
  virtual void prefetch(std::string_view key) const = 0;
  virtual void prefetch_key_bytes(std::string_view key) const = 0;
  // Drops keys expired at `now`, at most `budget`; returns how many.
  virtual size_t expire(TimePoint now, size_t budget) = 0;
  // Keys, memory accounted for, expiries and evictions.
  virtual StoreStats stats() const = 0;

  // Replication: the changed keys since `seq` (one consumer; see Store::changed_since).
  virtual uint64_t change_sequence() const = 0;
  virtual uint64_t changed_since(uint64_t seq,
                                 const std::function<void(const KeyRecord&)>& visit) const = 0;
  // Hand-off: every key whose key_hash lies in [lo, hi] (lo > hi wraps around).
  virtual void for_each_in_hash_range(uint64_t lo, uint64_t hi,
                                      const std::function<void(const KeyRecord&)>& visit) const = 0;
  virtual uint64_t count_hashes(const std::function<bool(uint64_t)>& counted) const = 0;
  // A replica's or a hand-off's record: kept when newer (Store::install). True if kept.
  virtual bool install(const KeyRecord& record) = 0;
  // Forgets one key (operator reset, hand-off done). True if it existed.
  virtual bool erase(std::string_view key) = 0;
};

}  // namespace drl::store
