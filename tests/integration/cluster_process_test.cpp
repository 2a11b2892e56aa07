// The cluster in real processes: exact limits with clients on every node, an owner killed
// under load, a restarted owner that keeps its counts, a join under load, `drl cluster`.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "drl/client.h"
#include "integration/support/cluster_support.h"

namespace drl {
namespace {

using testing::eventually;
using testing::LocalCluster;

// Fixed windows are epoch-aligned: a test that straddled a window's end would see a fresh
// budget and take it for a second one. So this program's window (10 minutes or a few seconds
// more, chosen once) ends at least 5 minutes after it starts, longer than all its tests run.
std::chrono::milliseconds window_far_from_its_end() {
  static const std::chrono::milliseconds window = [] {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    int64_t w = 600;
    while (w - now % w < 300) ++w;
    return std::chrono::milliseconds(w * 1000);
  }();
  return window;
}

CheckSpec fixed(std::string key, uint64_t limit) {
  CheckSpec s;
  s.key = std::move(key);
  s.limit = InlineLimit{Algorithm::kFixedWindow, limit, window_far_from_its_end(), 0};
  return s;
}

// A client for node `i` that falls back to the others.
std::unique_ptr<Client> client_for(const std::vector<std::string>& addresses, size_t i,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
  ClientOptions o;
  for (size_t k = 0; k < addresses.size(); ++k)
    o.nodes.push_back(addresses[(i + k) % addresses.size()]);
  o.request_timeout = timeout;
  return std::make_unique<Client>(o);
}

// One answered check, as its client saw it.
struct Answer {
  std::chrono::steady_clock::time_point at;
  std::string decided_by;
  bool allowed = false;
  uint64_t remaining = 0;
  int64_t reset_at_ms = 0;  // the end of the window it counted in
};

// Admissions per key, summed over every client thread; errors left after one retry.
struct Tally {
  std::mutex mu;
  std::map<std::string, uint64_t> allowed;
  std::vector<Answer> log;  // every answered check, when `record` is set
  bool record = false;
  std::atomic<uint64_t> attempts{0}, errors_after_retry{0};
  void add(const std::vector<CheckSpec>& specs, const std::vector<CheckResult>& results) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu);
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].code != ResultCode::kOk) continue;
      if (results[i].allowed) ++allowed[specs[i].key];
      if (record) {
        log.push_back({now, results[i].decided_by, results[i].allowed, results[i].remaining,
                       results[i].reset_at_ms});
      }
    }
  }
};

// One batch, retried once for the checks that failed (a node died under it).
void check_with_retry(Client& client, const std::vector<CheckSpec>& specs, Tally& tally) {
  auto results = client.check(specs);
  std::vector<CheckSpec> again;
  std::vector<CheckSpec> done;
  std::vector<CheckResult> done_results;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].code == ResultCode::kOk) {
      done.push_back(specs[i]);
      done_results.push_back(results[i]);
    } else {
      again.push_back(specs[i]);
    }
  }
  tally.attempts += specs.size();
  tally.add(done, done_results);
  if (again.empty()) return;
  auto retried = client.check(again);
  for (const auto& r : retried) {
    if (r.code != ResultCode::kOk) ++tally.errors_after_retry;
  }
  tally.add(again, retried);
}

// These tests are about the steady state, on the nodes' defaults: a starved node (a loaded CI
// machine, and always under the sanitizers) answers later than the retry timeout (200 ms),
// and its forwarders send the check again, to it; it answers a repeated attempt from memory.
// (Until the owner stayed the only decider, these tests needed --failover-timeout-ms 3000:
// a late owner was failed over to a replica that decided beside it.)
std::vector<std::string> node_args() { return {}; }

bool wait_converged(LocalCluster& c) {
  return eventually([&] { return c.stable(); }, std::chrono::seconds(20));
}

TEST(ClusterProcess, ClientsOnEveryNodeGetExactlyTheLimitPerKey) {
  LocalCluster c(5, node_args());
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(wait_converged(c));
  const auto addresses = c.addresses();
  constexpr uint64_t kLimit = 5;
  constexpr int kKeys = 1000, kRounds = 3;
  Tally tally;
  std::vector<std::thread> threads;
  for (size_t n = 0; n < 5; ++n) {
    threads.emplace_back([&, n] {
      auto client = client_for(addresses, n);
      for (int round = 0; round < kRounds; ++round) {
        for (int base = 0; base < kKeys; base += 100) {
          std::vector<CheckSpec> specs;
          for (int k = base; k < base + 100; ++k) {
            // Each key twice per batch: within a batch and across nodes.
            specs.push_back(fixed("exact:" + std::to_string(k), kLimit));
            specs.push_back(fixed("exact:" + std::to_string(k), kLimit));
          }
          check_with_retry(*client, specs, tally);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(tally.errors_after_retry.load(), 0u);
  ASSERT_EQ(tally.allowed.size(), static_cast<size_t>(kKeys));
  for (const auto& [key, n] : tally.allowed) ASSERT_EQ(n, kLimit) << key;
}

// The bound after a `kill -9` of a key's owner (docs/design.md, "In real processes"): the
// extra admissions in the window of the crash are about rate x delta (the owner's admissions
// after its last replica batch); the test checks the older, looser rate x (delta + tau): at
// most the admissions the owner answered in its last 10 + 200 ms, the rate being the key's
// own at the crash, measured here from the answers. The survivors take over only when SWIM
// declares the owner dead (a few seconds, printed as the first survivor's decision); checks
// whose deadline passes meanwhile fail and are retried once. The clients are paced
// and never catch up, so the owner admits for about half a second before it is killed, much
// more than the 210 ms hold: a replica that took over from a fresh or much older count
// would break the bound. (This test used to average the rate over the whole run, fail-over
// included, ~500 checks/s, while its unpaced owner admitted its ~200 checks in 20-40 ms,
// 5,000-11,000 checks/s: rate x delta alone then broke the "bound" in ~half the runs.)
// Admissions are counted per fixed window (reset_at) all the same: a window's end during
// the run is not a second budget.
TEST(ClusterProcess, OwnerKilledUnderLoadStaysWithinTheBoundAndKeepsItsCounts) {
  LocalCluster c(5);
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(wait_converged(c));
  const auto addresses = c.addresses();
  constexpr uint64_t kLimit = 1000;
  constexpr auto kWindow = std::chrono::milliseconds(10 + 200);  // delta + tau (defaults)
  // 4 client threads, a batch of 4 checks every 16 ms each: at most ~1,000 checks/s.
  constexpr auto kPace = std::chrono::milliseconds(16);
  const std::string hot = "hot:key";
  Tally tally;
  tally.record = true;
  // The owner decides in steady state.
  auto probe = client_for(addresses, 0);
  const std::vector<CheckSpec> first = {fixed(hot, kLimit)};
  tally.add(first, probe->check(first));
  ASSERT_EQ(tally.log.size(), 1u);
  const std::string owner = tally.log[0].decided_by;
  ASSERT_FALSE(owner.empty());
  size_t owner_index = 0;
  while (c.id(owner_index) != owner) ++owner_index;

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> sent{0};
  std::vector<std::thread> threads;
  for (size_t n = 0; n < 5; ++n) {
    if (n == owner_index) continue;  // its clients would simply lose their node
    threads.emplace_back([&, n] {
      // Checks on the dead owner's key wait for SWIM's verdict (~3 s): a deadline longer than
      // that lets each be decided once, rather than given up at the deadline while its
      // answer is on its way (a count without an admission) and asked again.
      auto client = client_for(addresses, n, std::chrono::seconds(10));
      auto next = std::chrono::steady_clock::now();
      while (!stop) {
        std::vector<CheckSpec> specs(4, fixed(hot, kLimit));
        check_with_retry(*client, specs, tally);
        sent += specs.size();
        // Pacing that never catches up: at most one batch per kPace per thread.
        next = std::max(next + kPace, std::chrono::steady_clock::now());
        std::this_thread::sleep_until(next);
      }
    });
  }
  // Kill the owner while the budget is still being spent.
  ASSERT_TRUE(eventually([&] { return sent.load() >= kLimit / 2; }, std::chrono::seconds(60)));
  const auto killed_at = std::chrono::steady_clock::now();
  c.kill(owner_index);
  // Run until the survivors have denied 200 checks: the budget is spent and stays spent.
  auto survivors_denied = [&] {
    std::lock_guard lock(tally.mu);
    return std::count_if(tally.log.begin(), tally.log.end(),
                         [&](const Answer& a) { return a.decided_by != owner && !a.allowed; });
  };
  ASSERT_TRUE(eventually([&] { return survivors_denied() >= 200; }, std::chrono::seconds(60)));
  stop = true;
  for (auto& t : threads) t.join();

  // Per window (its end, reset_at): admissions; the crash's window is the owner's last.
  std::map<int64_t, uint64_t> admitted;
  int64_t crash_window = 0, spent_window = 0;
  for (const Answer& a : tally.log) {
    if (a.allowed) ++admitted[a.reset_at_ms];
    if (a.allowed && a.decided_by == owner) crash_window = a.reset_at_ms;
    if (!a.allowed && a.decided_by != owner) spent_window = a.reset_at_ms;
  }
  // Within the crash's window: the owner's admissions, those of its last delta + tau, the
  // count the first survivor to decide started from, and the survivors' admissions.
  uint64_t owner_admitted = 0, in_window = 0, survivor_admitted = 0, start_count = 0;
  double first_survivor_ms = -1;
  std::map<std::string, uint64_t> by_decider;
  for (const Answer& a : tally.log) {
    if (a.reset_at_ms != crash_window) continue;
    if (a.allowed) ++by_decider[a.decided_by];
    if (a.decided_by == owner) {
      if (!a.allowed) continue;
      ++owner_admitted;
      if (a.at >= killed_at - kWindow) ++in_window;
    } else {
      if (a.allowed) ++survivor_admitted;
      if (first_survivor_ms < 0) {
        first_survivor_ms = std::chrono::duration<double, std::milli>(a.at - killed_at).count();
        start_count = kLimit - a.remaining - (a.allowed ? 1 : 0);
      }
    }
  }
  const uint64_t bound = in_window + 1;
  uint64_t expired = 0, failovers = 0, degraded = 0, refused = 0, off_owner = 0;
  for (size_t n = 0; n < addresses.size(); ++n) {
    wire::StatusResponse s;
    if (n != owner_index && testing::fetch_status(addresses[n], s)) {
      expired += s.expired_relays();
      failovers += s.failovers();
      degraded += s.degraded();
      refused += s.refused_relays();
      off_owner += s.decided_off_owner();
    }
  }
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::string deciders;
  for (const auto& [id, n] : by_decider) deciders += " " + id + "=" + std::to_string(n);
  std::printf(
      "hot key: %llu admitted for a limit of %llu (admitted by:%s); the owner %s admitted "
      "%llu, %llu of them in the %lld ms before its kill: the bound is +%llu; the first "
      "survivor decided %.0f ms after the kill from count %llu (the owner's admissions it "
      "never saw: %lld); survivors: fail-overs %llu, late forwards refused %llu, degraded "
      "%llu, refused relays %llu, decided off owner %llu; windows counted: %zu\n",
      u(admitted[crash_window]), u(kLimit), deciders.c_str(), owner.c_str(), u(owner_admitted),
      u(in_window), static_cast<long long>(kWindow.count()), u(bound), first_survivor_ms,
      u(start_count), static_cast<long long>(owner_admitted) - static_cast<long long>(start_count),
      u(failovers), u(expired), u(degraded), u(refused), u(off_owner), admitted.size());
  EXPECT_EQ(tally.errors_after_retry.load(), 0u);
  EXPECT_GE(admitted[spent_window], kLimit);
  for (const auto& [window_end, n] : admitted) {
    EXPECT_LE(n, kLimit + bound) << "in the window ending at " << window_end << " ms";
  }
  // The test's own power: a replica that took over from a fresh budget would have admitted
  // the owner's whole count again, beyond the bound.
  EXPECT_GT(owner_admitted, bound) << "the owner admitted everything within delta + tau";

  // The restarted owner takes its keys back without resetting them.
  c.start(owner_index);
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(wait_converged(c));
  ASSERT_TRUE(eventually([&] {
    wire::StatusResponse s;
    return testing::fetch_status(addresses[owner_index], s) && !s.handoff_pending();
  }));
  auto after = client_for(addresses, owner_index);
  for (int i = 0; i < 20; ++i) {
    auto r = after->check(fixed(hot, kLimit));
    ASSERT_EQ(r.code, ResultCode::kOk) << r.message;
    // Unless the spent window has ended meanwhile (a new one rightly starts afresh).
    EXPECT_TRUE(!r.allowed || r.reset_at_ms > spent_window)
        << "a fresh budget after the restart, decided by " << r.decided_by;
  }
}

// Peers learn of the newcomer before it has its first view: it refuses their forwards (they
// try it again later) and holds its own clients' checks until the view arrives.
TEST(ClusterProcess, ANodeJoiningALoadedClusterGivesNoKeyASecondBudget) {
  LocalCluster c(4, node_args());
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(wait_converged(c));
  constexpr uint64_t kLimit = 10;
  constexpr int kKeys = 200;
  Tally tally;
  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0};
  auto load = [&](std::vector<std::string> addresses, size_t n) {
    auto client = client_for(addresses, n);
    while (!stop) {
      std::vector<CheckSpec> specs;
      for (int k = 0; k < kKeys; ++k) specs.push_back(fixed("join:" + std::to_string(k), kLimit));
      check_with_retry(*client, specs, tally);
      ++rounds;
    }
  };
  std::vector<std::thread> threads;
  for (size_t n = 0; n < 4; ++n) threads.emplace_back(load, c.addresses(), n);
  ASSERT_TRUE(eventually([&] { return rounds.load() >= 4; }));
  c.start(4);
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(wait_converged(c));
  threads.emplace_back(load, c.addresses(), 4);  // clients of the new node too
  const int seen = rounds.load();
  ASSERT_TRUE(eventually([&] { return rounds.load() >= seen + 10; }, std::chrono::seconds(30)));
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(tally.errors_after_retry.load(), 0u);
  for (int k = 0; k < kKeys; ++k) {
    EXPECT_EQ(tally.allowed["join:" + std::to_string(k)], kLimit) << "join:" << k;
  }
}

TEST(ClusterProcess, DrlClusterStartsThreeJoinedNodes) {
  const uint16_t base = testing::free_base_port(3);
  ASSERT_NE(base, 0);
  char tmpl[] = "/tmp/drl-cluster-test-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string bin = testing::drl_bin(), port = std::to_string(base);
    const int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execl(bin.c_str(), bin.c_str(), "cluster", "--nodes", "3", "--base-port", port.c_str(), "--dir",
          dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  struct Reap {
    pid_t pid;
    std::string dir;
    ~Reap() {
      ::kill(pid, SIGINT);
      waitpid(pid, nullptr, 0);
      std::filesystem::remove_all(dir);
    }
  } reap{pid, dir};
  std::vector<pid_t> pids;
  ASSERT_TRUE(eventually([&] {
    std::ifstream f(dir + "/nodes.json");
    std::stringstream s;
    s << f.rdbuf();
    const std::string text = s.str();
    pids.clear();
    for (size_t at = text.find("\"pid\":"); at != std::string::npos;
         at = text.find("\"pid\":", at + 1)) {
      pids.push_back(static_cast<pid_t>(std::stol(text.substr(at + 6))));
    }
    if (pids.size() != 3) return false;
    for (pid_t p : pids) {
      if (::kill(p, 0) != 0) return false;
    }
    return true;
  })) << "nodes.json never listed 3 live pids";
  std::vector<std::string> addresses;
  for (int i = 0; i < 3; ++i) addresses.push_back("127.0.0.1:" + std::to_string(base + i));
  ASSERT_TRUE(eventually([&] { return testing::same_ring(addresses); }, std::chrono::seconds(20)))
      << "the 3 nodes never agreed on one ring";
  Client client(ClientOptions{.nodes = {addresses[1]}});
  ASSERT_TRUE(eventually([&] {
    auto r = client.check(fixed("cluster:cli", 1));
    return r.code == ResultCode::kOk && r.allowed;
  }));
  auto r = client.check(fixed("cluster:cli", 1));
  EXPECT_EQ(r.code, ResultCode::kOk);
  EXPECT_FALSE(r.allowed);

  // n1, killed and restarted from its argv in nodes.json (as chaos scripts do), joins the
  // running cluster (every node names the others as seeds) rather than founding its own,
  // and the key's spent budget stays spent.
  std::ifstream f(dir + "/nodes.json");
  std::stringstream text;
  text << f.rdbuf();
  const std::string json = text.str();
  const size_t open = json.find("\"argv\":[");
  ASSERT_NE(open, std::string::npos) << json;
  const size_t close = json.find(']', open);
  std::vector<std::string> argv;
  for (size_t at = json.find('"', open + 8); at < close; at = json.find('"', at + 1)) {
    const size_t end = json.find('"', at + 1);
    argv.push_back(json.substr(at + 1, end - at - 1));
    at = end;
  }
  ASSERT_GE(argv.size(), 6u) << json;
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--join"), argv.end()) << json;
  // The spent count must have reached the replicas before the kill: an owner's admissions
  // after its last replica batch are the published loss of a crash (docs/design.md), and a
  // kill within that batch interval would rightly find the count gone. With 3 nodes and
  // R = 3 the one key is held as replica by the two nodes that do not own it.
  ASSERT_TRUE(eventually([&] {
    uint64_t replicas = 0;
    for (const auto& address : addresses) {
      wire::StatusResponse s;
      if (!testing::fetch_status(address, s)) return false;
      replicas += s.keys_as_replica();
    }
    return replicas >= 2;
  })) << "the spent key never reached its replicas";
  ::kill(pids[0], SIGKILL);
  const auto n1_dead_at = [&](const std::string& address) {
    wire::StatusResponse s;
    if (!testing::fetch_status(address, s)) return false;
    for (const auto& m : s.members()) {
      if (m.id() == "n1") return m.state() == "dead";
    }
    return false;
  };
  ASSERT_TRUE(eventually([&] { return n1_dead_at(addresses[1]) && n1_dead_at(addresses[2]); },
                         std::chrono::seconds(30)))
      << "the survivors never marked the killed n1 dead";
  const pid_t restarted = fork();
  if (restarted == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  struct ReapRestarted {
    pid_t pid;
    ~ReapRestarted() {
      ::kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  } reap_restarted{restarted};
  EXPECT_TRUE(eventually([&] { return testing::same_ring(addresses); }, std::chrono::seconds(30)))
      << "the restarted n1 never rejoined the other two";
  Client at_n1(ClientOptions{.nodes = {addresses[0]}});
  auto again = at_n1.check(fixed("cluster:cli", 1));
  EXPECT_EQ(again.code, ResultCode::kOk) << again.message;
  EXPECT_FALSE(again.allowed) << "decided by " << again.decided_by;
}

}  // namespace
}  // namespace drl
