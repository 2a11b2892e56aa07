// Scale model of a cluster past 100 nodes (docs/design.md, "Scaling past one machine and past
// 100 nodes"). It uses the real ring, the real SWIM core in a simulated network, the real
// gossip and peer codecs (for byte counts) and the real store (for memory per key), and prints
// `[figures]` lines. It asserts only what must hold at any size, so it can fail.
//
// By default it runs N = 100 and 200 (a few seconds). The figures in docs/design.md come from
//   DRL_SCALE_NODES=100,200,500,1000 build/bin/cluster_scale_sim_test
// Randomised: the seed is printed on failure; DRL_SEED replays one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "cluster/peer_codec.h"
#include "cluster/peer_messages.h"
#include "common/key_hash.h"
#include "common/random.h"
#include "membership/gossip_codec.h"
#include "membership/swim.h"
#include "ring/ring.h"
#include "store/store.h"

namespace drl::cluster {
namespace {

constexpr size_t kReplicas = 3;  // the default --replicas

uint64_t seed_or(uint64_t fallback) {
  const char* env = std::getenv("DRL_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;  // several times slower: CI models fewer sizes
#else
constexpr bool kSanitized = false;
#endif

// Cluster sizes to model: env DRL_SCALE_NODES ("100,200,500,1000"), else 100 and 200 (100
// alone in a sanitizer build).
std::vector<int> cluster_sizes() {
  const char* env = std::getenv("DRL_SCALE_NODES");
  if (env == nullptr) return kSanitized ? std::vector<int>{100} : std::vector<int>{100, 200};
  std::vector<int> out;
  std::string text = env;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const int n = std::atoi(text.substr(start, comma - start).c_str());
    if (n >= 2) out.push_back(n);
    start = comma + 1;
  }
  return out.empty() ? std::vector<int>{100, 200} : out;
}

std::string member_id(int i) { return "node-" + std::to_string(i); }
std::string member_address(int i) {
  return "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + ":7000";
}

std::vector<ring::Member> members(int n) {
  std::vector<ring::Member> out;
  for (int i = 0; i < n; ++i) out.push_back({member_id(i), member_address(i)});
  return out;
}

// Ring balance (exact shares of the hash space) and the peer fan-out that replication alone
// needs: the distinct nodes a node shares at least one preference list with.
TEST(ScaleModel, RingBalanceAndPreferenceListFanOut) {
  for (const int n : cluster_sizes()) {
    for (const uint32_t vnodes : {64u, 256u}) {
      const ring::Ring ring(members(n), vnodes);
      std::vector<std::vector<bool>> linked(static_cast<size_t>(n),
                                            std::vector<bool>(static_cast<size_t>(n), false));
      double max_share = 0;
      double min_share = 1;
      for (int i = 0; i < n; ++i) {
        double share = 0;
        for (const ring::HashRange& r : ring.owned_ranges(member_id(i))) {
          share += (static_cast<double>(r.span_minus_one()) + 1) / 18446744073709551616.0;
          const auto list = ring.preference_list(r.hi, kReplicas);
          for (size_t a = 0; a < list.size(); ++a) {
            for (size_t b = 0; b < list.size(); ++b) {
              if (a != b) linked[list[a]][list[b]] = true;
            }
          }
        }
        max_share = std::max(max_share, share);
        min_share = std::min(min_share, share);
      }
      size_t max_fan_out = 0;
      size_t sum_fan_out = 0;
      for (const auto& row : linked) {
        const auto k = static_cast<size_t>(std::count(row.begin(), row.end(), true));
        max_fan_out = std::max(max_fan_out, k);
        sum_fan_out += k;
      }
      const double mean = 1.0 / n;
      std::printf(
          "[figures] ring N=%d vnodes=%u tokens=%zu: busiest/mean %.3f, least/mean %.3f; "
          "peers sharing a preference list (R=%zu): mean %.0f, max %zu (full mesh %d)\n",
          n, vnodes, static_cast<size_t>(n) * vnodes, max_share / mean, min_share / mean, kReplicas,
          static_cast<double>(sum_fan_out) / n, max_fan_out, n - 1);
      if (vnodes == 256) {
        EXPECT_LT(max_share / mean, 1.3) << "N=" << n;
        EXPECT_GT(min_share / mean, 0.7) << "N=" << n;
      }
      // Each token range puts a node next to at most 2(R-1) others.
      EXPECT_LE(max_fan_out,
                std::min<size_t>(static_cast<size_t>(n) - 1, 2 * (kReplicas - 1) * vnodes));
      EXPECT_GE(max_fan_out, kReplicas - 1);
    }
  }
}

store::KeyRecord sample_record(uint64_t i) {
  store::KeyRecord r;
  // A policy key as the node stores it: "p" + policy + '\0' + user key.
  r.key.assign("papi_per_user");
  r.key.push_back('\0');
  r.key.append("user:").append(std::to_string(10'000'000 + i));
  r.algorithm = limits::Algorithm::kTokenBucket;
  r.state.t = 1'700'000'000 * kSecond + static_cast<TimePoint>(i) * 997;
  r.state.a = static_cast<uint32_t>(i * 31);
  r.expires_at = 1'700'000'060 * kSecond;
  r.version = 1000 + i;
  return r;
}

// Bytes a changed key costs on the replication links, and bytes a key costs in the store.
TEST(ScaleModel, ReplicationBytesAndMemoryPerKey) {
  ReplicaBatch batch;
  for (uint64_t i = 0; i < 512; ++i) batch.records.push_back(sample_record(i));
  const size_t batch_bytes = encode_peer_message(PeerMessage{batch}).size();
  const double per_record = static_cast<double>(batch_bytes) / 512.0;

  store::Store store;
  constexpr uint64_t kKeys = 200'000;
  limits::Limit limit;
  limit.limit = 100;
  limit.window = 60 * kSecond;
  for (uint64_t i = 0; i < kKeys; ++i) {
    store.apply(sample_record(i).key, limit, limits::Request{}, 1'700'000'000 * kSecond);
  }
  const auto stats = store.stats();
  ASSERT_EQ(stats.keys, kKeys);
  const double per_key = static_cast<double>(stats.memory_bytes) / static_cast<double>(kKeys);
  std::printf(
      "[figures] replication: %.1f bytes per changed key per replica (512-record batch of "
      "27-byte store keys, %zu bytes); a check that changes a key costs at most %zu x that "
      "per replication round\n",
      per_record, batch_bytes, kReplicas - 1);
  std::printf("[figures] store: %.1f bytes per key (27-byte keys, on the heap; %llu keys)\n",
              per_key, static_cast<unsigned long long>(kKeys));
  for (const int n : cluster_sizes()) {
    for (const double keys : {1e7, 1e8, 1e9}) {
      std::printf("[figures] memory per node, N=%d, %.0e keys x R=%zu: %.1f MiB\n", n, keys,
                  kReplicas, keys * kReplicas / n * per_key / (1024.0 * 1024.0));
    }
  }
  EXPECT_LT(per_record, 100.0);
  EXPECT_LT(per_key, 180.0);  // Redis's cost per limited key on this machine (DESIGN-BRIEF)
}

// N SWIM cores on a simulated network (1-5 ms links, no loss), ticked every 10 ms. Every
// datagram is encoded with the real GossipCodec to count wire bytes.
class SwimNetwork {
 public:
  SwimNetwork(int n, uint64_t seed) : random_(seed), codec_(nullptr) {
    for (int i = 0; i < n; ++i) by_address_[member_address(i)] = i;
    // Every node starts as if its join's push/pull had just returned the whole cluster, so
    // the model does not pay for N sequential joins through one seed.
    membership::PushPull everyone{false, true, {}};
    for (int i = 0; i < n; ++i) {
      everyone.members.push_back(
          {member_id(i), member_address(i), membership::MemberState::kAlive, 0, {}, {}});
    }
    for (int i = 0; i < n; ++i) {
      Node node;
      node.random = std::make_unique<Random>(seed * 7919 + static_cast<uint64_t>(i));
      node.swim = std::make_unique<membership::Swim>(
          config_, membership::MemberInfo{member_id(i), member_address(i), {}}, *node.random, now_);
      nodes_.push_back(std::move(node));
      membership::Swim& swim = *nodes_.back().swim;
      swim.join(i == 0 ? std::vector<std::string>{} : std::vector<std::string>{member_address(0)},
                now_);
      swim.take_outbox();  // the join's request: answered below
      if (i != 0) swim.receive({member_id(0), member_address(0), everyone, {}}, now_);
      swim.take_events();
    }
  }

  int size() const { return static_cast<int>(nodes_.size()); }
  TimePoint now() const { return now_; }
  membership::Swim& swim(int i) { return *nodes_[static_cast<size_t>(i)].swim; }
  bool up(int i) const { return nodes_[static_cast<size_t>(i)].up; }
  void crash(int i) { nodes_[static_cast<size_t>(i)].up = false; }

  void count_bytes(bool on) {
    counting_ = on;
    udp_bytes_ = tcp_bytes_ = datagrams_ = 0;
  }
  uint64_t udp_bytes() const { return udp_bytes_; }
  uint64_t tcp_bytes() const { return tcp_bytes_; }
  uint64_t datagrams() const { return datagrams_; }

  // Observer of membership events: (observer node, event).
  std::function<void(int, const membership::MembershipEvent&)> on_event;

  // Runs until pred() (checked after every tick round) or `limit` passes; true if pred held.
  bool run_until(const std::function<bool()>& pred, Nanos limit) {
    const TimePoint end = now_ + limit;
    while (now_ < end) {
      const TimePoint next_tick = now_ + kTick;
      while (!in_flight_.empty() && in_flight_.begin()->first.first <= next_tick) {
        auto first = in_flight_.begin();
        now_ = first->first.first;
        Delivery d = std::move(first->second);
        in_flight_.erase(first);
        deliver(std::move(d));
      }
      now_ = next_tick;
      for (int i = 0; i < size(); ++i) {
        if (!up(i)) continue;
        swim(i).tick(now_);
        drain(i);
      }
      if (pred()) return true;
    }
    return false;
  }
  void run_for(Nanos d) {
    run_until([] { return false; }, d);
  }

 private:
  static constexpr Nanos kTick = 10 * kMillisecond;
  struct Node {
    std::unique_ptr<Random> random;
    std::unique_ptr<membership::Swim> swim;
    bool up = true;
  };
  struct Delivery {
    int to = 0;
    int from = 0;
    membership::Message message;
    bool sync_request = false;
  };

  void schedule(int from, int to, membership::Message m, bool sync_request) {
    const Nanos delay = kMillisecond + static_cast<Nanos>(random_.below(4 * kMillisecond));
    in_flight_.emplace(std::make_pair(now_ + delay, next_++),
                       Delivery{to, from, std::move(m), sync_request});
  }

  void drain(int i) {
    for (auto& out : swim(i).take_outbox()) {
      auto dest = by_address_.find(out.to);
      if (dest == by_address_.end()) continue;
      const bool sync = out.transport == membership::Transport::kTcpSync;
      account(out.message, sync);
      schedule(i, dest->second, std::move(out.message), sync);
    }
    for (auto& e : swim(i).take_events()) {
      if (on_event) on_event(i, e);
    }
  }

  void deliver(Delivery d) {
    if (!up(d.to)) return;
    if (d.sync_request) {
      auto reply = swim(d.to).answer_sync(d.message, now_);
      drain(d.to);
      if (reply && up(d.from)) {
        account(*reply, true);
        schedule(d.to, d.from, std::move(*reply), false);
      }
      return;
    }
    swim(d.to).receive(d.message, now_);
    drain(d.to);
  }

  void account(const membership::Message& m, bool sync) {
    if (!counting_) return;
    const size_t max = sync ? (1u << 24) : config_.max_packet_bytes;
    const size_t bytes = codec_.encode(m, max).size();
    if (sync) {
      tcp_bytes_ += bytes;
    } else {
      udp_bytes_ += bytes;
      ++datagrams_;
    }
  }

  membership::Config config_;
  Random random_;
  membership::GossipCodec codec_;
  TimePoint now_ = 1'700'000'000 * kSecond;
  uint64_t next_ = 0;
  std::vector<Node> nodes_;
  std::map<std::string, int> by_address_;
  std::map<std::pair<TimePoint, uint64_t>, Delivery> in_flight_;
  bool counting_ = false;
  uint64_t udp_bytes_ = 0, tcp_bytes_ = 0, datagrams_ = 0;
};

double seconds(Nanos d) { return static_cast<double>(d) / static_cast<double>(kSecond); }

// Gossip cost in steady state, dissemination of one update, and detection of one crash.
TEST(ScaleModel, SwimGossipDisseminationAndDetection) {
  const uint64_t seed = seed_or(20261129);
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with DRL_SEED)");
  for (const int n : cluster_sizes()) {
    SwimNetwork net(n, seed + static_cast<uint64_t>(n));
    int false_deaths = 0;
    TimePoint first_suspect = 0;
    const std::string victim = member_id(2);
    net.on_event = [&](int, const membership::MembershipEvent& e) {
      if (e.kind == membership::EventKind::kDead && e.member.info.id != victim) ++false_deaths;
      if (e.kind == membership::EventKind::kSuspect && e.member.info.id == victim &&
          first_suspect == 0) {
        first_suspect = e.at;
      }
    };
    // The bootstrap queued every member as news on every node; let that die out.
    net.run_for(60 * kSecond);

    constexpr Nanos kMeasure = 30 * kSecond;  // two push/pull periods
    net.count_bytes(true);
    net.run_for(kMeasure);
    const double per_node_s = seconds(kMeasure) * n;
    std::printf(
        "[figures] swim N=%d steady: %.0f B/s per node over UDP (%.1f datagrams/s, %.0f B "
        "each), %.0f B/s per node over TCP push/pull (full state every 15 s)\n",
        n, static_cast<double>(net.udp_bytes()) / per_node_s,
        static_cast<double>(net.datagrams()) / per_node_s,
        static_cast<double>(net.udp_bytes()) / std::max<double>(1, net.datagrams()),
        static_cast<double>(net.tcp_bytes()) / per_node_s);
    net.count_bytes(false);

    // Dissemination: node 1 announces new metadata (a higher incarnation).
    const TimePoint announced = net.now();
    net.swim(1).set_tags({{"zone", "b"}}, announced);
    const membership::Incarnation wanted = net.swim(1).self().incarnation;
    const bool spread = net.run_until(
        [&] {
          for (int i = 0; i < net.size(); ++i) {
            const auto* m = net.swim(i).find(member_id(1));
            if (m == nullptr || m->incarnation < wanted) return false;
          }
          return true;
        },
        60 * kSecond);
    ASSERT_TRUE(spread) << "N=" << n << ": an update did not reach every node in 60 s";
    const double dissemination = seconds(net.now() - announced);

    // Detection: node 2 crashes; every other node must hold it dead.
    net.run_for(2 * kSecond);
    const TimePoint crashed = net.now();
    first_suspect = 0;
    net.crash(2);
    const bool detected = net.run_until(
        [&] {
          for (int i = 0; i < net.size(); ++i) {
            if (!net.up(i)) continue;
            const auto* m = net.swim(i).find(victim);
            if (m != nullptr && m->live()) return false;
          }
          return true;
        },
        120 * kSecond);
    ASSERT_TRUE(detected) << "N=" << n << ": the crash was not detected everywhere in 120 s";
    std::printf(
        "[figures] swim N=%d: update reaches all in %.2f s; crash: first suspicion after %.2f "
        "s, every node holds it dead after %.2f s; false deaths %d\n",
        n, dissemination, seconds(first_suspect - crashed), seconds(net.now() - crashed),
        false_deaths);
    EXPECT_EQ(false_deaths, 0) << "N=" << n;
  }
}

}  // namespace
}  // namespace drl::cluster
