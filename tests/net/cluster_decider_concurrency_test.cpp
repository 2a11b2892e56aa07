// The ClusterDecider's fast path under threads: I/O threads decide checks for keys this node
// owns inline while the cluster thread changes the view (and so the ownership they read).
// Every check must be answered exactly once and each key's budget spent exactly once, with
// no data race (this file also runs under TSan: the ownership copy is only written while no
// inline decision is in progress).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "net/cluster_decider.h"
#include "service/decision_metrics.h"
#include "service/policy_book.h"
#include "store/store.h"

namespace drl::net {
namespace {

using namespace std::chrono_literals;

TEST(ClusterDeciderConcurrency, ViewChangesDuringInlineDecisionsKeepEveryBudgetExact) {
  store::Store store;
  service::DecisionMetrics metrics;
  service::PolicyBook policies(metrics);
  SystemClock clock;
  cluster::ClusterOptions options;
  options.failover_timeout = 5 * kMillisecond;
  ClusterDecider decider(store, policies, clock, metrics, options, net::PeerLinkOptions{});
  const ring::Member self{"a", "127.0.0.1:1"};
  // A peer that never answers (nothing listens on port 1): checks for its keys wait for it
  // until a view drops it, then "a" decides them, so one store decides every check.
  const ring::Member peer{"b", "127.0.0.1:1"};
  decider.start(self);
  decider.set_view({self});

  constexpr int kKeys = 8;
  constexpr int kPerThread = 1200;
  constexpr uint64_t kLimit = 100;
  limits::Limit limit;
  limit.algorithm = limits::Algorithm::kTokenBucket;
  limit.limit = kLimit;
  limit.window = 24 * 3600 * kSecond * 365;  // no refill within the test

  std::atomic<int> answered{0};
  std::mutex mu;
  std::map<std::string, uint64_t> allowed;  // guarded by mu
  std::map<std::string, uint64_t> errors;   // guarded by mu
  auto client = [&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string key = "k" + std::to_string((i + t) % kKeys);
      service::CheckCall call;
      call.key = key;
      call.has_inline = true;
      call.limit = limit;
      decider.decide(std::span<const service::CheckCall>(&call, 1),
                     [&, key](std::span<const service::CheckOutcome> out) {
                       {
                         std::lock_guard lock(mu);
                         if (out[0].code != service::CheckCode::kOk) ++errors[key];
                         if (out[0].code == service::CheckCode::kOk && out[0].decision.allowed) {
                           ++allowed[key];
                         }
                       }
                       answered.fetch_add(1);
                     });
    }
  };
  std::atomic<bool> stop_views{false};
  std::thread views([&] {
    bool two = false;
    for (int changes = 0; changes < 400 && !stop_views.load(); ++changes) {
      two = !two;
      if (two) {
        decider.set_view({self, peer});
      } else {
        decider.set_view({self});
      }
      std::this_thread::yield();
    }
    decider.set_view({self});
  });
  std::thread c1(client, 0);
  std::thread c2(client, 1);
  c1.join();
  c2.join();
  stop_views = true;
  views.join();
  // Forwards to the absent peer wait for the next view without it: poll generously.
  const auto give_up = std::chrono::steady_clock::now() + 60s;
  while (answered.load() < 2 * kPerThread && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::yield();
  }
  ASSERT_EQ(answered.load(), 2 * kPerThread);
  ClusterSnapshot snap;
  ASSERT_TRUE(decider.snapshot(snap, 60s));
  EXPECT_GT(snap.stats.decided_as_owner, 0u);  // inline decisions are counted there
  decider.stop();
  std::lock_guard lock(mu);
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = "k" + std::to_string(k);
    EXPECT_EQ(errors[key], 0u) << key;
    EXPECT_EQ(allowed[key], kLimit) << key << ": 300 checks against a budget of 100";
  }
}

}  // namespace
}  // namespace drl::net
