// The memory warnings a node logs: one line per threshold crossed upward (80, 90, 100%),
// re-armed only after falling 5 points below, and pressure summaries at most once per period.
#include "service/memory_watch.h"

#include <gtest/gtest.h>

namespace drl::service {
namespace {

store::StoreStats at(uint64_t used, uint64_t evicted = 0, uint64_t untracked = 0) {
  store::StoreStats s;
  s.max_memory_bytes = 1000;
  s.memory_bytes = used;
  s.evicted = evicted;
  s.untracked = untracked;
  return s;
}

TEST(MemoryWatch, WarnsOncePerThresholdAndAgainOnlyAfterFallingBelow) {
  MemoryWatch w(10 * kSecond);
  EXPECT_TRUE(w.observe(at(700), kSecond).empty());
  auto lines = w.observe(at(810), kSecond);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].text.find("store memory at 81%"), std::string::npos) << lines[0].text;
  EXPECT_FALSE(lines[0].warning);
  EXPECT_TRUE(w.observe(at(820), kSecond).empty());
  EXPECT_TRUE(w.observe(at(790), kSecond).empty());  // within the re-arm gap
  lines = w.observe(at(1000), kSecond);
  ASSERT_EQ(lines.size(), 1u);  // 90 and 100 crossed at once: the highest is told
  EXPECT_NE(lines[0].text.find("100%"), std::string::npos);
  EXPECT_TRUE(lines[0].warning);
  EXPECT_TRUE(w.observe(at(500), kSecond).empty());
  EXPECT_EQ(w.observe(at(850), kSecond).size(), 1u);  // re-armed after falling to 50%
}

TEST(MemoryWatch, PressureSummariesAreRateLimited) {
  MemoryWatch w(10 * kSecond);
  EXPECT_TRUE(w.observe(at(500), kSecond).empty());
  auto lines = w.observe(at(500, 7), 2 * kSecond);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].text.find("7 live keys evicted"), std::string::npos) << lines[0].text;
  EXPECT_TRUE(w.observe(at(500, 50, 3), 5 * kSecond).empty());  // too soon
  lines = w.observe(at(500, 50, 3), 12 * kSecond);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].text.find("43 live keys evicted"), std::string::npos) << lines[0].text;
  EXPECT_NE(lines[0].text.find("3 checks on new keys answered MEMORY_FULL"), std::string::npos);
  EXPECT_TRUE(w.observe(at(500, 50, 3), 30 * kSecond).empty());  // nothing new
}

TEST(MemoryWatch, AnUnboundedStoreIsNeverWarnedAbout) {
  MemoryWatch w;
  store::StoreStats s;
  s.memory_bytes = 1u << 30;
  s.evicted = 5;
  EXPECT_TRUE(w.observe(s, kSecond).empty());
}

}  // namespace
}  // namespace drl::service
