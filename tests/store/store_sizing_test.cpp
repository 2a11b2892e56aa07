// Bytes per key as the store accounts them (what --max-memory is compared with), by store key
// length and algorithm, measured rather than guessed: docs/operations.md, "Sizing
// --max-memory", quotes this table. The bounds fail if the layout grows by surprise.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "store/store.h"

namespace drl::store {
namespace {

constexpr TimePoint kT0 = 1'700'000'000 * kSecond;
constexpr int kKeys = 30'000;

// A key of exactly `length` bytes, distinct for each i.
std::string key_of_length(int i, size_t length) {
  std::string k = std::to_string(i);
  k.insert(0, length - k.size(), 'k');
  return k;
}

double bytes_per_key(const limits::Limit& limit, size_t key_length, uint64_t cost) {
  Store store(StoreOptions{});  // the node's 64 shards, unbounded
  const uint64_t empty = store.stats().memory_bytes;
  for (int i = 0; i < kKeys; ++i) {
    store.apply(key_of_length(i, key_length), limit, {.cost = cost}, kT0);
  }
  const StoreStats s = store.stats();
  EXPECT_EQ(s.keys, static_cast<uint64_t>(kKeys));
  return static_cast<double>(s.memory_bytes - empty) / kKeys;
}

TEST(StoreSizing, BytesPerKeyByKeyLengthAndAlgorithm) {
  struct Row {
    const char* name;
    limits::Limit limit;
    uint64_t cost;
  };
  const Row rows[] = {
      {"token_bucket",
       {.algorithm = limits::Algorithm::kTokenBucket, .limit = 100, .window = kHour},
       1},
      {"fixed_window",
       {.algorithm = limits::Algorithm::kFixedWindow, .limit = 100, .window = kHour},
       1},
      {"sliding_window",
       {.algorithm = limits::Algorithm::kSlidingWindow, .limit = 100, .window = kHour},
       1},
      {"sliding_log, 1 in log",
       {.algorithm = limits::Algorithm::kSlidingLog, .limit = 10, .window = kHour},
       1},
      {"sliding_log, 10 in log",
       {.algorithm = limits::Algorithm::kSlidingLog, .limit = 10, .window = kHour},
       10},
  };
  const size_t lengths[] = {12, 14, 15, 24, 40, 64, 128};
  std::printf("%-24s", "store key bytes:");
  for (size_t l : lengths) std::printf("%8zu", l);
  std::printf("\n");
  for (const Row& row : rows) {
    std::printf("%-24s", row.name);
    for (size_t l : lengths) {
      const double b = bytes_per_key(row.limit, l, row.cost);
      std::printf("%8.1f", b);
      const bool log = row.limit.algorithm == limits::Algorithm::kSlidingLog;
      // A slot (41 bytes + dirty bit) at 60-85% load, the key's arena block beyond 14
      // bytes, and for a sliding log its node, key copy and timestamps.
      const double slot_bound = 41.0 / 0.55;
      const double key_bound = l > 14 ? static_cast<double>(l) + 16 : 0;
      const double log_bound = log ? 64 + static_cast<double>(l) + 8.0 * 16 : 0;
      EXPECT_LT(b, slot_bound + key_bound + log_bound) << row.name << ", key " << l;
      EXPECT_GT(b, 41.0) << row.name << ", key " << l;
    }
    std::printf("\n");
  }
}

// reserve() sizes the tables once: the keys it was asked for go in without another rebuild
// (inline keys take no bytes beyond their slot, so the accounted memory stays put), and a
// budget the tables would break leaves them as they are.
TEST(StoreSizing, ReserveMakesRoomForThatManyKeysOnce) {
  const limits::Limit hour{
      .algorithm = limits::Algorithm::kFixedWindow, .limit = 100, .window = kHour};
  constexpr int kReserved = 20'000;
  Store store(StoreOptions{});
  const uint64_t empty = store.stats().memory_bytes;
  store.reserve(kReserved);
  const uint64_t reserved = store.stats().memory_bytes;
  EXPECT_GT(reserved, empty + uint64_t{kReserved} * 41);
  for (int i = 0; i < kReserved; ++i) store.apply(key_of_length(i, 12), hour, {.cost = 1}, kT0);
  EXPECT_EQ(store.stats().keys, uint64_t{kReserved});
  EXPECT_EQ(store.stats().memory_bytes, reserved);
  store.reserve(kReserved / 2);  // never shrinks
  EXPECT_EQ(store.stats().memory_bytes, reserved);

  Store small(StoreOptions{.max_memory_bytes = 256 << 10});
  const uint64_t before = small.stats().memory_bytes;
  small.reserve(1'000'000);
  EXPECT_EQ(small.stats().memory_bytes, before);
}

}  // namespace
}  // namespace drl::store
