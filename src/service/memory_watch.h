// Warnings before (and at) the memory wall, as log lines the node prints: one when the
// store's budget in use crosses 80%, 90% and 100% upward (re-armed once it falls 5 points
// below), and at most one summary per `every` of what memory pressure did since the last
// one: live keys evicted (kEvict), checks answered MEMORY_FULL and replica records refused
// (kRefuse). Pure logic over the store's counters and a time passed in; the node calls it
// from its control thread. Not thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/time.h"
#include "store/store.h"

namespace drl::service {

struct MemoryLogLine {
  bool warning = false;  // else info
  std::string text;
};

class MemoryWatch {
 public:
  explicit MemoryWatch(Nanos every = 10 * kSecond) : every_(every) {}
  // The lines to log now, given the store's stats at `now`.
  std::vector<MemoryLogLine> observe(const store::StoreStats& stats, TimePoint now);

 private:
  Nanos every_;
  int armed_below_ = 0;  // thresholds (percent) already announced: 0, 80, 90 or 100
  TimePoint last_summary_ = 0;
  uint64_t evicted_ = 0, untracked_ = 0, refused_ = 0;  // at the last summary
};

}  // namespace drl::service
