// Which keys `drl bench` asks for: every check draws its key from the whole --keys space
// (uniform, or Zipf-skewed with --key-dist zipf:S, or each key in turn with `sequential`), and
// the run counts the distinct keys it asked for, so a reader can see the work a figure was
// measured on.
//
// Keys are "bench:" + the key's index zero-padded to the width of (keys - 1), so every key of
// a run has the same length and a pre-encoded request is patched in place (CheckBodyTemplate)
// instead of re-encoded per check. The smart bench names its keys the same way: smart and
// non-smart runs over the same --keys ask for the same keys.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/random.h"
#include "drl/client.pb.h"

namespace drl::cli {

struct KeyDistribution {
  enum class Kind { kUniform, kZipf, kSequential };
  Kind kind = Kind::kUniform;
  double exponent = 0;  // Zipf only: P(rank k) is proportional to 1 / k^exponent
  // Sequential only: the next index, shared by every picker made from copies of this one, so
  // all connections together ask for key 0, 1, 2, ... (then again from 0): N checks fill N
  // keys (to fill a store for a restart measurement).
  std::shared_ptr<std::atomic<uint64_t>> cursor = nullptr;
};

// Parses "uniform", "zipf:S" (0 < S <= 10) or "sequential". Returns "" or why the text is
// refused.
std::string parse_key_distribution(const std::string& text, KeyDistribution& out);
// "uniform", "zipf:S" or "sequential", as parse_key_distribution reads it.
std::string key_distribution_name(const KeyDistribution& d);

// Draws key indexes in [0, keys) from a distribution; rank 1 of a Zipf law is index 0.
// Zipf by rejection-inversion (W. Hormann, G. Derflinger, "Rejection-inversion to generate
// variates from monotone discrete distributions", 1996): O(1) per draw and no table, so
// 20 M keys cost nothing to set up. Not thread-safe: one per connection or worker (a
// sequential picker's shared cursor is atomic).
class KeyPicker {
 public:
  KeyPicker(uint64_t keys, const KeyDistribution& distribution, uint64_t seed);
  uint64_t next();

 private:
  double h(double x) const;           // the density, x^-s
  double h_integral(double x) const;  // an antiderivative of h
  double h_integral_inverse(double x) const;

  uint64_t keys_;
  KeyDistribution distribution_;
  Random random_;
  double h_integral_x1_ = 0, h_integral_n_ = 0, squeeze_ = 0;
};

// The distinct keys a run asked for. Exact (one bit per key) up to kExactKeys keys; above,
// indexes are hashed onto kExactKeys bits and counted by linear counting (an estimate within
// about 1% while fewer than ~5x kExactKeys distinct keys were asked). Thread-safe: any number
// of threads mark, and a bit already set costs one load.
class DistinctKeys {
 public:
  static constexpr uint64_t kExactKeys = uint64_t{1} << 26;  // 8 MiB of bits
  explicit DistinctKeys(uint64_t keys);
  void mark(uint64_t index) {
    const uint64_t bit = exact_ ? index : slot_of(index);
    auto& word = words_[bit >> 6];
    const uint64_t mask = uint64_t{1} << (bit & 63);
    if ((word.load(std::memory_order_relaxed) & mask) == 0) {
      word.fetch_or(mask, std::memory_order_relaxed);
    }
  }
  uint64_t count() const;  // exact, or the linear-counting estimate
  bool exact() const { return exact_; }

 private:
  uint64_t slot_of(uint64_t index) const;
  bool exact_;
  uint64_t bits_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
};

// The name of key `index` in a run over `keys` keys ("bench:" + zero-padded index).
std::string bench_key(uint64_t index, uint64_t keys);

// One pre-encoded CheckRequest of `batch` checks of a template whose keys are patched in
// place: next() draws a key per check, marks it, and returns the body to send (valid until
// the next call). The bytes equal what protobuf would encode for those keys.
class CheckBodyTemplate {
 public:
  CheckBodyTemplate(const wire::Check& check, size_t batch, uint64_t keys);
  const std::string& next(KeyPicker& picker, DistinctKeys& distinct);

 private:
  std::string body_;
  std::vector<size_t> digit_offsets_;  // where each check's padded index starts in body_
  size_t width_;
};

}  // namespace drl::cli
