// The glue between membership and the cluster, simulated whole: real SWIM nodes (the
// membership simulator) report events to one ViewPublisher per node, whose views go to the
// cluster simulator's ClusterNodes, as the node's shell does (src/node/node.cpp); both
// simulators advance in lockstep, a millisecond at a time. No oracle decides who is alive:
// a crash is noticed only when SWIM declares the node dead, a joiner only when SWIM reports
// it. Checked: the publishers' views agree once SWIM does, a joiner never takes a partial
// cluster for the whole, and the admissions stay exact (join) or within the crash episode's
// bound (crash), with replicas in step afterwards.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

#include "cluster/support/sim_accounting.h"
#include "cluster/support/sim_cluster.h"
#include "cluster/support/sim_scenarios.h"
#include "cluster/view_publisher.h"
#include "membership/support/sim_cluster.h"

namespace drl::cluster::sim {
namespace {

constexpr Nanos kSlice = kMillisecond;

// SWIM tuned a little faster than the LAN defaults, so a crash is declared within ~1-3 s of
// simulated time (the shape of detection does not change).
membership::Config fast_swim() {
  membership::Config c;
  c.probe_interval = 100 * kMillisecond;
  c.probe_timeout = 40 * kMillisecond;
  c.gossip_interval = 40 * kMillisecond;
  return c;
}

class SwimAndCluster {
 public:
  // `nodes` form the cluster; `spare` more SWIM nodes may join later (join()).
  SwimAndCluster(size_t nodes, size_t spare, uint64_t seed)
      : swim_(swim_options(nodes + spare, seed)),
        cluster_(cluster_options(nodes, seed)),
        publishers_(nodes + spare),
        settle_at_(nodes + spare) {
    swim_.set_observer([this](int observer, const membership::MembershipEvent& e) {
      auto& p = publishers_[static_cast<size_t>(observer)];
      if (!p) return;
      if (const auto settle = p->observe(e.member)) {
        settle_at_[static_cast<size_t>(observer)] = swim_.now() + *settle;
      }
    });
    for (size_t i = 0; i < nodes; ++i) {
      publishers_[i].emplace(ring::Member{swim_.id(static_cast<int>(i)), address(i)}, i != 0);
      swim_.start(static_cast<int>(i),
                  i == 0 ? std::vector<std::string>{} : std::vector<std::string>{address(0)});
    }
    // The cluster simulator starts formed (everyone's view holds everyone): membership gets
    // there first, and the views it publishes on the way are not handed over.
    // (all_agree() would count the spare nodes, which never started.)
    const auto formed = [this, nodes] {
      for (size_t i = 0; i < nodes; ++i) {
        for (size_t j = 0; j < nodes; ++j) {
          if (!swim_.sees_live(static_cast<int>(i), static_cast<int>(j))) return false;
        }
      }
      return true;
    };
    EXPECT_TRUE(swim_.run_until(formed, 30 * kSecond));
    swim_.run_for(100 * kMillisecond);
    fire_settles(/*hand_over=*/false);
    for (size_t i = 0; i < nodes; ++i) {
      EXPECT_EQ(publishers_[i]->view().size(), nodes) << "node " << i;
    }
  }

  SimCluster& cluster() { return cluster_; }

  // Both simulators for `duration`, `load` on the cluster's alive nodes.
  void run(Nanos duration, const Load* load = nullptr) {
    for (Nanos t = 0; t < duration; t += kSlice) {
      swim_.run_for(kSlice);
      cluster_.run(kSlice, load);
      fire_settles(/*hand_over=*/true);
    }
  }

  // A new node: SWIM starts it with node 0 as its seed, the cluster adds it with no view.
  size_t join() {
    const size_t i = cluster_.join();
    publishers_[i].emplace(ring::Member{swim_.id(static_cast<int>(i)), address(i)}, true);
    swim_.start(static_cast<int>(i), {address(0)});
    hand_over(i, publishers_[i]->publish(false));  // as the shell does once gossip started
    return i;
  }

  void crash(size_t i) {
    swim_.crash(static_cast<int>(i));
    cluster_.crash(i);
    publishers_[i].reset();
    settle_at_[i].reset();
  }

  // Every running node's published view holds exactly the running nodes.
  bool views_agree() const {
    std::vector<std::string> running;
    for (size_t i = 0; i < publishers_.size(); ++i) {
      if (publishers_[i]) running.push_back(swim_.id(static_cast<int>(i)));
    }
    for (const auto& p : publishers_) {
      if (!p) continue;
      std::vector<std::string> ids;
      for (const ring::Member& m : p->view()) ids.push_back(m.id);
      if (ids != running) return false;
    }
    return true;
  }

  // The size of the first view node i published (handed to the cluster): a joiner that took
  // a part of the cluster for the whole would publish a smaller one first.
  size_t first_view_size(size_t i) const { return first_view_size_.at(i); }

 private:
  static membership::sim::SimOptions swim_options(size_t nodes, uint64_t seed) {
    membership::sim::SimOptions o;
    o.nodes = static_cast<int>(nodes);
    o.seed = seed;
    o.config = fast_swim();
    return o;
  }
  static SimOptions cluster_options(size_t nodes, uint64_t seed) {
    SimOptions o;
    o.nodes = nodes;
    o.seed = seed;
    o.external_views = true;
    return o;
  }

  std::string address(size_t i) const { return swim_.address(static_cast<int>(i)); }

  void fire_settles(bool hand_over) {
    for (size_t i = 0; i < publishers_.size(); ++i) {
      if (!settle_at_[i] || *settle_at_[i] > swim_.now()) continue;
      settle_at_[i].reset();
      std::optional<PublishedView> view = publishers_[i]->settle_timer_fired();
      if (hand_over) this->hand_over(i, std::move(view));
    }
  }

  void hand_over(size_t i, std::optional<PublishedView> view) {
    if (!view) return;
    first_view_size_.try_emplace(i, view->alive.size());
    // The publisher names members as SWIM does; the cluster simulator's members are the
    // nodes of the same index.
    std::vector<ring::Member> members;
    for (const ring::Member& m : view->alive) members.push_back(cluster_.member(index_of(m.id)));
    cluster_.give_view(i, std::move(members));
  }

  size_t index_of(const std::string& swim_id) const {
    for (size_t i = 0; i < publishers_.size(); ++i) {
      if (swim_.id(static_cast<int>(i)) == swim_id) return i;
    }
    ADD_FAILURE() << "unknown member " << swim_id;
    return 0;
  }

  membership::sim::SimCluster swim_;
  SimCluster cluster_;
  std::vector<std::optional<ViewPublisher>> publishers_;
  std::vector<std::optional<TimePoint>> settle_at_;
  std::map<size_t, size_t> first_view_size_;
};

// 60 keys at ~170 checks/s each over the cluster, a budget of 100 per second that binds.
struct BindingLoad {
  limits::Limit limit = fixed_window(100, kSecond);
  Load load{keys(60, "glue:"), limit, 1};
  BindingLoad() { load.every_steps = 20; }  // one check per node per millisecond
};

TEST(ViewPublisherSim, AJoinerSeenThroughSwimTakesOverWithoutALostCount) {
  SwimAndCluster sim(3, 1, seed_or(2401));
  SCOPED_TRACE(sim.cluster().describe_seed());
  BindingLoad b;
  sim.run(500 * kMillisecond, &b.load);
  const size_t joiner = sim.join();
  sim.run(3 * kSecond, &b.load);
  EXPECT_TRUE(sim.views_agree());
  EXPECT_EQ(sim.first_view_size(joiner), 4u) << "the joiner published a partial cluster";
  sim.run(500 * kMillisecond);  // quiet: replication rounds run
  expect_no_violations(sim.cluster());
  EXPECT_EQ(sim.cluster().unanswered(), 0u);
  EXPECT_LE(worst_excess(sim.cluster(), 100), 0) << "a hand-off lost or duplicated a count";
  expect_none(replicas_behind_owners(sim.cluster(), 3), "replica behind its owner");
}

TEST(ViewPublisherSim, ACrashNoticedBySwimStaysWithinItsEpisodesBound) {
  SwimAndCluster sim(5, 0, seed_or(2402));
  SCOPED_TRACE(sim.cluster().describe_seed());
  BindingLoad b;
  sim.run(700 * kMillisecond, &b.load);
  FaultEpisode e;
  e.start = sim.cluster().now();
  sim.crash(sim.cluster().owner_of("glue:0"));
  Nanos waited = 0;
  while (!sim.views_agree() && waited < 20 * kSecond) {
    sim.run(100 * kMillisecond, &b.load);
    waited += 100 * kMillisecond;
  }
  ASSERT_TRUE(sim.views_agree()) << "SWIM did not declare the crashed node dead in 20 s";
  std::printf("crash declared and published everywhere after %.1f s of simulated time\n",
              static_cast<double>(waited) / kSecond);
  sim.run(500 * kMillisecond, &b.load);  // hand-offs settle
  e.end = sim.cluster().now();
  sim.run(1500 * kMillisecond, &b.load);
  sim.run(500 * kMillisecond);
  expect_no_violations(sim.cluster());
  EXPECT_EQ(sim.cluster().unanswered(), 0u);
  const OverAdmission over = over_admission(sim.cluster(), b.limit, {e}, ClusterOptions{});
  expect_none(over.problems, "over the crash episode's bound");
  std::printf("worst window: %s\n", over.worst.c_str());
  expect_none(replicas_behind_owners(sim.cluster(), 3), "replica behind its owner");
}

}  // namespace
}  // namespace drl::cluster::sim
