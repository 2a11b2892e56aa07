#include "cli/latency_histogram.h"

#include <algorithm>
#include <bit>

namespace drl::cli {

int LatencyHistogram::index_of(uint64_t v) {
  if (v < (1u << kSubBits)) return static_cast<int>(v);
  const int msb = 63 - std::countl_zero(v);
  const int shift = msb - kSubBits;
  const uint64_t sub = (v >> shift) & ((1u << kSubBits) - 1);
  return ((shift + 1) << kSubBits) + static_cast<int>(sub);
}

uint64_t LatencyHistogram::upper_of(int index) {
  const int group = index >> kSubBits;
  const uint64_t sub = static_cast<uint64_t>(index & ((1 << kSubBits) - 1));
  if (group == 0) return sub;
  const int shift = group - 1;
  return (((uint64_t{1} << kSubBits) | sub) << shift) + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::record(int64_t ns) {
  const uint64_t v = ns < 0 ? 0 : static_cast<uint64_t>(ns);
  ++counts_[static_cast<size_t>(index_of(v))];
  ++count_;
  max_ = std::max(max_, static_cast<int64_t>(v));
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

int64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  const auto target = static_cast<uint64_t>(q * static_cast<double>(count_) + 0.5);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[static_cast<size_t>(i)];
    if (seen >= std::max<uint64_t>(target, 1)) {
      return std::min(static_cast<int64_t>(upper_of(i)), max_);
    }
  }
  return max_;
}

}  // namespace drl::cli
