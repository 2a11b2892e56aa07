// The durable backend's node part (node/storage/): its files on a real disk. Snapshots bound
// the log and a reopened dir restores every key; a write error (here a file-size limit, as a
// full disk would) is counted and the node keeps deciding.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <filesystem>
#include <string>

#include "node/storage/data_dir.h"
#include "node/storage/storage.h"
#include "service/prometheus_text.h"
#include "store/store.h"

namespace drl::node {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/drl-durable-storage-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

constexpr TimePoint kNow = 1'700'000'000 * kSecond;

limits::Limit per_day(uint64_t n) {
  return limits::Limit{
      .algorithm = limits::Algorithm::kFixedWindow, .limit = n, .window = 86400 * kSecond};
}

StorageOptions durable_options(const std::string& dir) {
  StorageOptions o;
  o.kind = "durable";
  o.data_dir = dir;
  o.node_id = "n1";
  o.cluster_name = "test";
  o.fsync.interval = kMillisecond;
  o.snapshot_log_bytes = 4096;
  return o;
}

std::string metrics_of(const Storage& s) {
  service::PrometheusText t;
  s.render_metrics(t);
  return t.str();
}

bool wait_for(const std::function<bool()>& condition) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::yield();
  }
  return condition();
}

TEST(DurableStorage, SnapshotsBoundTheLogAndAReopenedDirRestoresEveryKey) {
  TempDir dir;
  {
    auto storage = make_durable_storage(durable_options(dir.path));
    ASSERT_EQ(storage->open(kNow), "");
    for (int round = 0; round < 5; ++round) {
      for (int k = 0; k < 200; ++k) {
        storage->backend().apply("key:" + std::to_string(k), per_day(100), {}, kNow);
      }
    }
    // A snapshot is written, and the segments it covers are removed.
    ASSERT_TRUE(wait_for([&] {
      DataDirListing files;
      if (!list_data_files(dir.path, files).empty() || files.snapshots.empty()) return false;
      return files.segments.front() >= files.snapshots.back();
    }));
    for (int k = 0; k < 200; ++k) {
      storage->backend().apply("key:" + std::to_string(k), per_day(100), {}, kNow);
    }
    storage->close();
  }
  auto reopened = make_durable_storage(durable_options(dir.path));
  ASSERT_EQ(reopened->open(kNow + kSecond), "");
  EXPECT_EQ(reopened->backend().stats().keys, 200u);
  for (int k = 0; k < 200; ++k) {
    const auto d = reopened->backend().apply("key:" + std::to_string(k), per_day(100),
                                             limits::Request{.cost = 0}, kNow + kSecond);
    ASSERT_EQ(d.remaining, 94u) << "key:" << k;  // 6 of 100 spent before the restart
  }
}

// A full disk, simulated with RLIMIT_FSIZE (writes past it fail with EFBIG).
TEST(DurableStorage, AWriteErrorIsCountedAndTheNodeKeepsDeciding) {
  TempDir dir;
  auto storage = make_durable_storage(durable_options(dir.path));
  ASSERT_EQ(storage->open(kNow), "");
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &before), 0);
  const auto old_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit small = before;
  small.rlim_cur = 2048;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  int allowed = 0;
  for (int k = 0; k < 500; ++k) {
    allowed += storage->backend().apply("k" + std::to_string(k), per_day(5), {}, kNow).allowed;
  }
  EXPECT_EQ(allowed, 500);
  EXPECT_TRUE(wait_for([&] {
    return metrics_of(*storage).find("drl_durable_write_errors_total 0\n") == std::string::npos;
  })) << metrics_of(*storage);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &before), 0);
  signal(SIGXFSZ, old_handler);
  EXPECT_NE(metrics_of(*storage).find("drl_durable_dropped_records_total"), std::string::npos);
  // Room again: the next snapshot puts every key back on disk.
  storage->backend().apply("after", per_day(5), {}, kNow);
  ASSERT_TRUE(wait_for([&] {
    return metrics_of(*storage).find("drl_durable_snapshots_total{result=\"ok\"} 0\n") ==
           std::string::npos;
  })) << metrics_of(*storage);
  storage->close();
  auto reopened = make_durable_storage(durable_options(dir.path));
  ASSERT_EQ(reopened->open(kNow), "");
  EXPECT_EQ(reopened->backend().stats().keys, 501u);
}

}  // namespace
}  // namespace drl::node
