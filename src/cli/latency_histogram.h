// A log-linear latency histogram (64 sub-buckets per power of two of nanoseconds, so any
// percentile is within 1.6% of the true value). Not thread-safe: one per thread, merged.
#pragma once
#include <array>
#include <cstdint>

namespace drl::cli {

class LatencyHistogram {
 public:
  void record(int64_t ns);
  void merge(const LatencyHistogram& other);
  uint64_t count() const { return count_; }
  // The value (ns) at or below which `q` (0..1) of the samples fall; 0 when empty.
  int64_t percentile(double q) const;
  int64_t max() const { return max_; }

 private:
  static constexpr int kSubBits = 6;
  static constexpr int kBuckets = (64 - kSubBits + 1) << kSubBits;
  static int index_of(uint64_t v);
  static uint64_t upper_of(int index);
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  int64_t max_ = 0;
};

}  // namespace drl::cli
