#include "service/memory_watch.h"

#include <spdlog/fmt/fmt.h>

namespace drl::service {
namespace {

constexpr int kThresholds[] = {80, 90, 100};
constexpr int kRearmGap = 5;  // points below a threshold before it may be announced again

}  // namespace

std::vector<MemoryLogLine> MemoryWatch::observe(const store::StoreStats& s, TimePoint now) {
  std::vector<MemoryLogLine> lines;
  if (s.max_memory_bytes == 0) return lines;
  const double percent =
      100.0 * static_cast<double>(s.memory_bytes) / static_cast<double>(s.max_memory_bytes);
  int reached = 0;
  for (int t : kThresholds) {
    if (percent >= t) reached = t;
  }
  if (reached > armed_below_) {
    lines.push_back(
        {reached >= 90, fmt::format("store memory at {:.0f}% of --max-memory ({} of {} bytes, {} "
                                    "keys){}",
                                    percent, s.memory_bytes, s.max_memory_bytes, s.keys,
                                    reached >= 100 ? ": new keys are refused or evict live ones "
                                                     "(--on-memory-full)"
                                                   : "")});
    armed_below_ = reached;
  }
  while (armed_below_ > 0 && percent < armed_below_ - kRearmGap) {
    armed_below_ = armed_below_ == 80 ? 0 : armed_below_ - 10;
  }

  if (now - last_summary_ < every_ && last_summary_ != 0) return lines;
  const uint64_t evicted = s.evicted - evicted_;
  const uint64_t untracked = s.untracked - untracked_;
  const uint64_t refused = s.install_refused - refused_;
  if (evicted + untracked + refused == 0) return lines;
  const double seconds = last_summary_ == 0 ? 0 : static_cast<double>(now - last_summary_) / 1e9;
  std::string text = seconds > 0 ? fmt::format("memory full, last {:.0f} s:", seconds)
                                 : std::string("memory full:");
  if (evicted > 0) {
    text += fmt::format(
        " {} live keys evicted (their next checks start from a fresh budget, "
        "flagged reset_by_eviction);",
        evicted);
  }
  if (untracked > 0) {
    text += fmt::format(" {} checks on new keys answered MEMORY_FULL (not tracked);", untracked);
  }
  if (refused > 0) {
    text += fmt::format(
        " {} replica records not stored (this replica cannot take over "
        "those keys' counts);",
        refused);
  }
  text += " raise --max-memory (docs/operations.md)";
  lines.push_back({true, std::move(text)});
  last_summary_ = now;
  evicted_ = s.evicted;
  untracked_ = s.untracked;
  refused_ = s.install_refused;
  return lines;
}

}  // namespace drl::service
