#include "store/key_arena.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "common/random.h"
#include "store/support/test_seed.h"

namespace drl::store {
namespace {

struct Held {
  char* p;
  std::string bytes;
};

void fill(Held& h) { std::memcpy(h.p, h.bytes.data(), h.bytes.size()); }
bool intact(const Held& h) { return std::memcmp(h.p, h.bytes.data(), h.bytes.size()) == 0; }

TEST(KeyArena, BlocksHoldTheirBytesWhileOthersComeAndGo) {
  // Random sizes across the small classes and past them; every live block keeps its bytes
  // however the others are allocated and freed around it (overlapping blocks would not).
  const uint64_t seed = testing::test_seed();
  SCOPED_TRACE(testing::seed_note(seed));
  Random random(seed);
  KeyArena arena;
  std::vector<Held> live;
  for (int step = 0; step < 20000; ++step) {
    if (live.empty() || random.below(3) != 0) {
      const size_t n = 1 + random.below(random.below(8) == 0 ? 600 : 256);
      Held h{arena.allocate(n), std::string(n, static_cast<char>('a' + random.below(26)))};
      fill(h);
      live.push_back(std::move(h));
    } else {
      const size_t i = random.below(live.size());
      ASSERT_TRUE(intact(live[i])) << "step " << step;
      arena.deallocate(live[i].p, live[i].bytes.size());
      live[i] = std::move(live.back());
      live.pop_back();
    }
  }
  for (const Held& h : live) EXPECT_TRUE(intact(h));
  for (const Held& h : live) arena.deallocate(h.p, h.bytes.size());
  EXPECT_EQ(arena.outstanding(), 0u);
}

TEST(KeyArena, AFreedBlockIsReusedForTheSameClass) {
  KeyArena arena;
  char* a = arena.allocate(20);
  char* keep = arena.allocate(20);
  arena.deallocate(a, 20);
  EXPECT_EQ(arena.allocate(30), a);  // 20 and 30 bytes share the 32-byte class
  EXPECT_NE(arena.allocate(20), keep);
}

TEST(KeyArena, ChurnDoesNotGrowTheArena) {
  // Keys expiring and arriving: the same few chunks serve them all.
  KeyArena arena;
  std::vector<char*> held;
  for (int i = 0; i < 1000; ++i) held.push_back(arena.allocate(26));
  const size_t chunks = arena.chunks();
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 500; ++i) arena.deallocate(held[i], 26);
    for (int i = 0; i < 500; ++i) held[i] = arena.allocate(26);
  }
  EXPECT_EQ(arena.chunks(), chunks);
}

TEST(KeyArena, EveryChunkGoesBackWithTheLastBlock) {
  KeyArena arena;
  std::vector<char*> held;
  for (int i = 0; i < 2000; ++i) held.push_back(arena.allocate(40));
  EXPECT_GT(arena.chunks(), 1u);
  for (char* p : held) arena.deallocate(p, 40);
  EXPECT_EQ(arena.outstanding(), 0u);
  EXPECT_EQ(arena.chunks(), 0u);
  // And it still works afterwards.
  char* p = arena.allocate(40);
  std::memset(p, 'x', 40);
  arena.deallocate(p, 40);
}

}  // namespace
}  // namespace drl::store
