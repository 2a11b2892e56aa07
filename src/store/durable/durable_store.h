// The durable backend's table: a Store that decides every check from memory (no check waits
// for the disk) and hands each change of a key that matters to a ChangeLog, which the node's
// storage shell writes to DIR in groups (node/storage/durable_log_writer.h). No I/O here.
//
// Which changes are written (docs/design.md "The durable backend"): a key matters when its
// state outlives a restart's worth of time, i.e. its limit's period (the window, or the
// calendar unit) is at least `min_window`; every change of such a key is written, so a
// restart never finds an older record of it than the last one written. Replica and hand-off
// records carry no limit: they are written when they expire at least `min_window` after the
// time of the last expire() call. Erasures are always written.
//
// Ownership: owns its Store; borrows the ChangeLog, which must outlive it. Thread-safe.
#pragma once
#include <atomic>

#include "store/backend.h"
#include "store/durable/change_log.h"
#include "store/store.h"

namespace drl::store::durable {

struct DurableOptions {
  // Keys whose limit's period is shorter are not written (0: every key is).
  Nanos min_window = 60 * kSecond;
};

// Does a change of a key decided under `limit` get written?
bool writes_limit(const limits::Limit& limit, Nanos min_window);

class DurableStore final : public Backend {
 public:
  DurableStore(StoreOptions store, ChangeLog& log, DurableOptions options = {});

  // The table itself, for loading a data dir before the node decides anything (what is
  // installed through it is not written again) and for snapshots.
  Store& table() { return table_; }
  const Store& table() const { return table_; }

  limits::Decision apply(std::string_view key, const limits::Limit& limit,
                         const limits::Request& request, TimePoint now,
                         MemoryRule rule = {}) override;
  void prefetch(std::string_view key) const override { table_.prefetch(key); }
  void prefetch_key_bytes(std::string_view key) const override { table_.prefetch_key_bytes(key); }
  size_t expire(TimePoint now, size_t budget) override;
  StoreStats stats() const override { return table_.stats(); }
  uint64_t change_sequence() const override { return table_.change_sequence(); }
  uint64_t changed_since(uint64_t seq,
                         const std::function<void(const KeyRecord&)>& visit) const override {
    return table_.changed_since(seq, visit);
  }
  void for_each_in_hash_range(uint64_t lo, uint64_t hi,
                              const std::function<void(const KeyRecord&)>& visit) const override {
    table_.for_each_in_hash_range(lo, hi, visit);
  }
  uint64_t count_hashes(const std::function<bool(uint64_t)>& counted) const override {
    return table_.count_hashes(counted);
  }
  bool install(const KeyRecord& record) override;
  bool erase(std::string_view key) override;

 private:
  Store table_;
  ChangeLog& log_;
  const DurableOptions options_;
  std::atomic<TimePoint> last_sweep_{0};  // `now` of the latest expire() call
};

}  // namespace drl::store::durable
