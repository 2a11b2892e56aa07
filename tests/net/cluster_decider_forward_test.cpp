// Two ClusterDeciders on loopback, each behind its own Listener as in a node: a check that
// enters one for a key the other owns is forwarded when the cluster thread takes it from its
// inbox, not when ClusterOptions::flush_delay has passed (issue 20: a timer and a wake-up per
// forward batch, for batches that hardly grow meanwhile).
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/key_hash.h"
#include "net/cluster_decider.h"
#include "net/io_pool.h"
#include "net/listener.h"
#include "ring/ring.h"
#include "service/decision_metrics.h"
#include "service/frame.h"
#include "service/policy_book.h"
#include "service/server_stats.h"
#include "service/store_key.h"
#include "store/store.h"

namespace drl::net {
namespace {

using namespace std::chrono_literals;

// One member: a store, a decider, and the listener its peers connect to.
struct Member {
  explicit Member(cluster::ClusterOptions options)
      : decider(store, policies, clock, metrics, options, PeerLinkOptions{}) {
    listener.emplace(pool, ListenerOptions{}, SessionServices{}, stats);
    EXPECT_FALSE(listener->listen("127.0.0.1", 0));
    listener->register_magic(service::kPeerMagic, [this](asio::ip::tcp::socket s) {
      decider.accept_peer(std::move(s), PeerLane::kMain);
    });
    listener->register_magic(service::kPeerCheckLaneMagic, [this](asio::ip::tcp::socket s) {
      decider.accept_peer(std::move(s), PeerLane::kChecks);
    });
    listener->start();
    pool.start();
  }
  ~Member() {
    decider.stop();
    pool.stop();
    listener->stop();
  }
  std::string address() const {
    return "127.0.0.1:" + std::to_string(listener->local_endpoint().port());
  }

  store::Store store;
  service::DecisionMetrics metrics;
  service::PolicyBook policies{metrics};
  SystemClock clock;
  IoPool pool{1};
  service::ServerStats stats{1};
  std::optional<Listener> listener;
  ClusterDecider decider;
};

TEST(ClusterDeciderForward, AForwardLeavesWithoutWaitingForTheFlushDelay) {
  // spdlog's registry is made on first use: here, before the deciders' threads log at once
  // (a node's main thread logs first; TSan cannot see the guard inside libspdlog).
  spdlog::set_level(spdlog::level::warn);
  cluster::ClusterOptions options;
  // Were the forward left for the flush timer, it would wait an hour and the check would
  // expire at its deadline (check_timeout) unanswered by the owner.
  options.flush_delay = 3600 * kSecond;
  options.check_timeout = 10 * kSecond;
  Member a(options), b(options);
  const ring::Member ma{"a", a.address()}, mb{"b", b.address()};
  a.decider.start(ma);
  b.decider.start(mb);
  a.decider.set_view({ma, mb});
  b.decider.set_view({ma, mb});

  limits::Limit limit;
  limit.algorithm = limits::Algorithm::kTokenBucket;
  limit.limit = 10;
  limit.window = 3600 * kSecond;
  service::CheckCall call;
  call.has_inline = true;
  call.limit = limit;
  // A key b owns, placed as the nodes place it (the store key of an inline limit).
  const ring::Ring ring({ma, mb});
  std::string key, store_key;  // call.key views `key`
  for (int i = 0;; ++i) {
    key = "k" + std::to_string(i);
    call.key = key;
    service::store_key_for(call, store_key);
    if (ring.member(ring.owner(key_hash(store_key))).id == "b") break;
  }

  std::atomic<bool> answered{false};
  service::CheckOutcome outcome;
  std::string decided_by;  // the outcome's view dies with the completion: copied
  a.decider.decide(std::span<const service::CheckCall>(&call, 1),
                   [&](std::span<const service::CheckOutcome> out) {
                     outcome = out[0];
                     decided_by = std::string(out[0].decided_by);
                     outcome.decided_by = {};
                     answered = true;
                   });
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (!answered && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  ASSERT_TRUE(answered);
  EXPECT_EQ(outcome.code, service::CheckCode::kOk) << outcome.message;
  EXPECT_TRUE(outcome.decision.allowed);
  EXPECT_EQ(decided_by, "b") << "the owner decides a forwarded check";
  ClusterSnapshot snap;
  ASSERT_TRUE(a.decider.snapshot(snap, 10s, /*count_keys=*/false));
  EXPECT_EQ(snap.stats.forwarded, 1u);
}

}  // namespace
}  // namespace drl::net
