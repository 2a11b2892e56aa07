// The durable backend with real processes: nodes killed (SIGKILL, or a clean SIGTERM) while
// day- and month-long quotas are half spent, restarted on the same data dirs, admit exactly
// what remained. With --storage memory (the old behaviour) every restarted key admits its
// whole budget again, which these tests catch.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "integration/support/cluster_support.h"
#include "integration/support/node_process.h"

namespace drl::testing {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/drl-durable-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

// Half-spent quotas: a day and a 30-day window, a fixed window and a token bucket.
struct Quota {
  std::string key, window, algorithm;
};
const std::vector<Quota> kQuotas = {
    {"user:1", "1d", "fixed_window"},
    {"user:2", "30d", "fixed_window"},
    {"api:3", "1d", "token_bucket"},
    {"api:4", "30d", "sliding_window"},
};

int check(const std::string& server, const Quota& q, int cost) {
  return run_drl({"check", "--server", server, q.key, "--limit", "10", "--window", q.window,
                  "--algorithm", q.algorithm, "--cost", std::to_string(cost)})
      .exit_code;
}

void spend_half(const std::string& server) {
  for (const auto& q : kQuotas) ASSERT_EQ(check(server, q, 5), 0) << q.key;
}

// After a restart that lost nothing: exactly the other half is admitted, then nothing.
void expect_half_left(const std::string& server) {
  for (const auto& q : kQuotas) {
    EXPECT_EQ(check(server, q, 5), 0) << q.key << ": the remaining half is admitted";
    EXPECT_EQ(check(server, q, 1), 1) << q.key << ": nothing beyond the limit";
  }
}

std::vector<std::string> durable_args(const std::string& dir, const std::string& fsync) {
  return {"--storage", "durable", "--data-dir", dir, "--fsync-interval", fsync, "--id", "solo"};
}

std::string last_segment(const std::string& dir) {
  std::string last;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("log-", 0) == 0 && name > fs::path(last).filename().string()) {
      last = e.path().string();
    }
  }
  return last;
}

// Runs a node with `args`, spends half of every quota, ends it (SIGKILL, or SIGTERM when
// `kill` is false) and returns the address it listened on, for its restart.
std::string spend_half_then_end(const std::vector<std::string>& args, bool kill) {
  NodeProcess node(args);
  EXPECT_NE(node.port(), 0) << node.error();
  if (node.port() == 0) return "";
  spend_half(node.address());
  if (kill) {
    node.signal(SIGKILL);
    EXPECT_TRUE(eventually([&] { return !node.alive(); }));
  } else {
    EXPECT_EQ(node.stop(), 0) << node.log();
  }
  return node.address();
}

TEST(DurableRestart, KillNineWithFsyncAlwaysLosesNothing) {
  TempDir dir;
  auto args = durable_args(dir.path, "always");
  const std::string listen = spend_half_then_end(args, true);
  ASSERT_FALSE(listen.empty());
  NodeProcess again(args, listen);
  ASSERT_NE(again.port(), 0) << again.error();
  expect_half_left(again.address());
}

TEST(DurableRestart, SigtermFlushesEverythingWhateverTheInterval) {
  TempDir dir;
  auto args = durable_args(dir.path, "1h");  // nothing reaches the disk before the stop
  const std::string listen = spend_half_then_end(args, false);
  ASSERT_FALSE(listen.empty());
  NodeProcess again(args, listen);
  ASSERT_NE(again.port(), 0) << again.error();
  expect_half_left(again.address());
}

// The stated loss: a kill -9 loses the changes of the interval not yet written. With an hour's
// interval that is all of them: the restarted node admits the whole budget again.
TEST(DurableRestart, KillNineLosesWhatTheIntervalHadNotWritten) {
  TempDir dir;
  auto args = durable_args(dir.path, "1h");
  const std::string listen = spend_half_then_end(args, true);
  ASSERT_FALSE(listen.empty());
  NodeProcess again(args, listen);
  ASSERT_NE(again.port(), 0) << again.error();
  EXPECT_EQ(check(again.address(), kQuotas[0], 10), 0) << "the unwritten spend was lost";
}

TEST(DurableRestart, ATornLogTailIsCutOffAndEverythingBeforeItKept) {
  TempDir dir;
  auto args = durable_args(dir.path, "always");
  const std::string listen = spend_half_then_end(args, true);
  ASSERT_FALSE(listen.empty());
  const std::string segment = last_segment(dir.path);
  ASSERT_FALSE(segment.empty());
  const auto intact = fs::file_size(segment);
  std::ofstream(segment, std::ios::app) << std::string("\x40\x00\x00\x00\x12\x34", 6);  // torn
  NodeProcess again(args, listen);
  ASSERT_NE(again.port(), 0) << again.error();
  EXPECT_TRUE(eventually([&] {
    return again.log().find("truncated the file") != std::string::npos;
  })) << again.log();
  EXPECT_EQ(fs::file_size(segment), intact);
  expect_half_left(again.address());
}

TEST(DurableRestart, ADataDirOfAnotherNodeOrFormatIsRefused) {
  TempDir dir;
  {
    NodeProcess node(durable_args(dir.path, "10ms"));
    ASSERT_NE(node.port(), 0) << node.error();
    ASSERT_EQ(node.stop(), 0);
  }
  auto other = durable_args(dir.path, "10ms");
  other.back() = "someone-else";  // --id
  NodeProcess refused(other);
  EXPECT_EQ(refused.port(), 0);
  EXPECT_NE(refused.log().find("belongs to node"), std::string::npos) << refused.log();

  auto renamed = durable_args(dir.path, "10ms");
  renamed.insert(renamed.end(), {"--cluster-name", "elsewhere"});
  NodeProcess refused_cluster(renamed);
  EXPECT_EQ(refused_cluster.port(), 0);
  EXPECT_NE(refused_cluster.log().find("belongs to node 'solo' of cluster 'drl'"),
            std::string::npos)
      << refused_cluster.log();

  std::ofstream(dir.path + "/IDENTITY") << "drl data dir\nformat 9\ncluster drl\nnode x\n";
  NodeProcess refused_format(durable_args(dir.path, "10ms"));
  EXPECT_EQ(refused_format.port(), 0);
  EXPECT_NE(refused_format.log().find("format version 9"), std::string::npos)
      << refused_format.log();
}

// The whole cluster goes down at once and comes back on its data dirs: each key's owner loads
// what it wrote, and the quotas stay half spent. kill -9 with --fsync-interval always, and a
// clean SIGTERM of every node with the default interval: both lose nothing.
void restart_whole_cluster(bool kill) {
  TempDir dir;
  std::vector<std::string> args = {"--storage", "durable"};
  if (kill) args.insert(args.end(), {"--fsync-interval", "always"});
  LocalCluster cluster(3, args, [&](size_t i) {
    return std::vector<std::string>{"--data-dir", dir.path + "/n" + std::to_string(i + 1)};
  });
  ASSERT_EQ(cluster.error(), "");
  ASSERT_TRUE(eventually([&] { return cluster.stable(); }, std::chrono::seconds(30)));
  spend_half(cluster.node(0).address());
  for (size_t i = 0; i < 3; ++i) {
    if (kill) {
      cluster.kill(i);
    } else {
      ASSERT_EQ(cluster.node(i).stop(), 0) << cluster.node(i).log();
    }
  }
  for (size_t i = 0; i < 3; ++i) cluster.start(i);
  ASSERT_EQ(cluster.error(), "");
  ASSERT_TRUE(eventually([&] { return cluster.stable(); }, std::chrono::seconds(30)));
  expect_half_left(cluster.node(1).address());
}

TEST(DurableRestart, AWholeClusterKilledAndRestartedKeepsItsQuotas) { restart_whole_cluster(true); }

TEST(DurableRestart, AWholeClusterStoppedAndRestartedKeepsItsQuotas) {
  restart_whole_cluster(false);
}

}  // namespace
}  // namespace drl::testing
