// A deterministic cluster in one process: N ClusterNodes, each with its own Store, over a
// simulated network (delay, loss, partitions, FIFO per link; TCP-like retransmission delays,
// one-way cuts), with simulated time, a wall clock per node (offset and drift), crashes,
// restarts with empty stores and joins. Membership is an oracle: on every topology change
// each node gets the set of alive members it can reach, after `view_lag` (SWIM's detection
// delay). Ordered containers and one seeded Random: a seed replays a run exactly.
// Invariants are checked after every step; violations are collected as readable strings.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cluster/cluster_node.h"
#include "common/random.h"
#include "store/store.h"

namespace drl::cluster::sim {

struct SimOptions {
  uint64_t seed = 1;
  size_t nodes = 5;
  ClusterOptions cluster;
  Nanos min_delay = 100 * kMicrosecond;
  Nanos max_delay = 300 * kMicrosecond;
  double loss = 0;  // per message, for messages between reachable nodes
  // TCP over a lossy network: each transmission of a message is lost with this probability
  // and sent again after the retransmission timeout (rto_min, doubling per loss of the same
  // message, as TCP's backoff), and a link delivers in order, so a lost message holds up the
  // link's later ones too (bursts of 200 ms and more). Nothing is dropped.
  double retransmit_loss = 0;
  Nanos rto_min = 200 * kMillisecond;
  Nanos step = 50 * kMicrosecond;
  Nanos view_lag = 0;  // how long membership takes to tell nodes about a change
  // How long a joining (or restarted) node waits for its own first view; 0: at once. The
  // others may learn of it sooner and forward to it before it has a view.
  Nanos joiner_view_lag = 0;
  // Decide client checks as the node's shell does (net/cluster_decider.h): a check that the
  // asked node's ClusterNode::ownership() decides goes straight into its store, without the
  // ClusterNode; the others are submitted. Ownership is read at the time of the check, so an
  // inline decision never straddles a view change (the shell's exclusion).
  bool inline_owned = false;
  // Membership is not the oracle: after the first views (everyone knows everyone), a node's
  // view changes only through give_view(), for a test that runs real SWIM and the view
  // publisher beside the cluster (tests/cluster/view_publisher_sim_test.cpp).
  bool external_views = false;
  // Store options by node index (a restart keeps them); others: 4 shards, unbounded.
  std::map<size_t, store::StoreOptions> stores;
};

// A client load: every step, `per_step` checks at each alive node, on keys drawn uniformly.
struct Load {
  std::vector<std::string> keys;
  limits::Limit limit;
  size_t per_step = 1;
  size_t every_steps = 1;  // ask only on every n-th step
  DegradeMode degrade = DegradeMode::kLocal;
};

struct Observed {
  size_t node = 0;  // where the client asked
  std::string key;
  TimePoint asked_at = 0;
  TimePoint answered_at = 0;
  CheckResult result;
};

class SimCluster {
 public:
  explicit SimCluster(SimOptions options);
  ~SimCluster();

  TimePoint now() const { return now_; }
  size_t size() const { return slots_.size(); }
  const std::string& id(size_t i) const { return slots_[i].member.id; }
  bool alive(size_t i) const { return slots_[i].node != nullptr; }
  ClusterNode& node(size_t i) { return *slots_[i].node; }
  const ClusterNode& node(size_t i) const { return *slots_[i].node; }
  Random& random() { return random_; }
  // Index of the node that owns `key` on the ring of all alive members.
  size_t owner_of(const std::string& key) const;

  void crash(size_t i);
  void restart(size_t i);  // with an empty store
  size_t join();           // a new member; returns its index
  // Nodes in different groups cannot exchange messages; views follow after view_lag.
  void partition(std::vector<std::set<size_t>> groups);
  void heal();
  void set_view_lag(Nanos lag) { options_.view_lag = lag; }
  // SimOptions::external_views: node i's view is `view` from now on (ignored while it is down
  // or stalled).
  void give_view(size_t i, std::vector<ring::Member> view);
  const ring::Member& member(size_t i) const { return slots_[i].member; }
  // A starved but alive node: messages to it arrive `extra` later than the link delay
  // (0 restores it). Its membership view does not change: it is not dead.
  void slow(size_t i, Nanos extra) { slow_[i] = extra; }
  // One link slow: `from`'s messages to `to` arrive `extra` later (0 restores it), in order,
  // as on a peer connection that is reconnecting with backoff. Views do not change.
  void slow_link(size_t from, size_t to, Nanos extra) {
    if (extra > 0) {
      slow_links_[{from, to}] = extra;
    } else {
      slow_links_.erase({from, to});
    }
  }
  // A one-way cut: `from`'s messages to `to` are lost, `to`'s to `from` still arrive.
  // Membership does not notice (indirect probes get through): views do not change.
  void cut(size_t from, size_t to) { cuts_.insert({from, to}); }
  void uncut(size_t from, size_t to) { cuts_.erase({from, to}); }
  // Node i's wall clock: simulated time + offset + drift (parts per million of the time
  // since the start). Everything node i is given (views, checks, messages, ticks) carries
  // its own time; the network runs on simulated time.
  void set_clock(size_t i, Nanos offset, double drift_ppm = 0) { clocks_[i] = {offset, drift_ppm}; }
  TimePoint local_now(size_t i) const;
  // Decisions taken over all nodes alive now (as owner, off owner, degraded): with one
  // decider per check this equals the number of answered client checks.
  uint64_t decisions() const;
  // Checks decided inline (SimOptions::inline_owned) over all nodes alive now.
  uint64_t decided_inline() const;

  // One check from a client at `node`; its answer shows up in observed() with this token as
  // its result's client_token. 0: not asked (the node is down or stalled).
  uint64_t ask(size_t node, std::string key, const limits::Limit& limit, DegradeMode degrade,
               limits::Request request = {});
  // Advances simulated time by `duration`, one step at a time, applying `load` if given.
  void run(Nanos duration, const Load* load = nullptr);

  const std::vector<Observed>& observed() const { return observed_; }
  void clear_observed() { observed_.clear(); }
  // Admissions (allowed, not degraded) per (key, window end) over everything observed.
  std::map<std::pair<std::string, TimePoint>, uint64_t> admissions() const;
  // Invariant violations seen so far ("t=... key ... decided by n2, owner n1").
  const std::vector<std::string>& violations() const { return violations_; }
  uint64_t dropped_messages() const { return dropped_; }
  // Transmissions lost and repeated under retransmit_loss.
  uint64_t retransmissions() const { return retransmissions_; }
  // Checks asked at alive nodes and not answered yet.
  size_t unanswered() const { return asks_.size(); }
  std::string describe_seed() const;

  // Faults and probes for the exact-accounting tests (sim_accounting.h, handoff tests).
  // A node's store, for reading what it holds (tests must not decide through it).
  const store::Store& store(size_t i) const { return *slots_[i].store; }
  // A stalled node (SIGSTOP): alive with its state, but it neither ticks nor reads; messages
  // to it wait and are read in order on resume; its clients ask nobody meanwhile. The others'
  // views drop it after view_lag, and take it back after view_lag once resumed; its own view
  // does not change (it saw nobody die).
  void stall(size_t i);
  void resume(size_t i);
  bool stalled(size_t i) const { return stalled_.contains(i); }
  // Called for every message a node sends, before the network takes it: returns how many
  // copies to deliver (0 drops it, 2 duplicates it). Unset: one.
  using MessageFault = std::function<size_t(size_t from, size_t to, const PeerMessage&)>;
  void set_message_fault(MessageFault fault) { message_fault_ = std::move(fault); }
  // Called after every message a node has read (and after its outputs are sent).
  using DeliveryProbe = std::function<void(size_t from, size_t to)>;
  void set_delivery_probe(DeliveryProbe probe) { delivery_probe_ = std::move(probe); }

 private:
  struct Slot {
    ring::Member member;
    std::unique_ptr<store::Store> store;
    std::unique_ptr<ClusterNode> node;
    uint64_t incarnation = 0;     // raised on restart: stale in-flight messages are dropped
    uint64_t decided_inline = 0;  // inline_owned: checks decided without the ClusterNode
  };
  struct Message {
    size_t from;
    size_t to;
    uint64_t to_incarnation;
    PeerMessage message;
  };
  struct PendingAsk {
    size_t node;
    std::string key;
    TimePoint asked_at;
  };

  void step(const Load* load);
  void start_node(size_t i);
  bool reachable(size_t a, size_t b) const;
  std::vector<ring::Member> view_for(size_t i) const;
  void schedule_views();
  void drain(size_t i);
  void check_invariants();
  void rebuild_truth();

  SimOptions options_;
  Random random_;
  TimePoint now_;
  std::vector<Slot> slots_;
  std::vector<std::set<size_t>> groups_;  // empty: no partition
  std::map<std::pair<TimePoint, uint64_t>, Message> in_flight_;
  std::map<std::pair<size_t, size_t>, TimePoint> link_clock_;  // FIFO per link
  std::map<size_t, Nanos> slow_;                               // extra inbound delay per node
  std::map<std::pair<size_t, size_t>, Nanos> slow_links_;      // extra delay per slow link
  TimePoint slowed_until_ = 0;                // the last arrival of a message a slow link delayed
  std::set<std::pair<size_t, size_t>> cuts_;  // (from, to): lost
  // Per link: the step (+1) of the segment being filled, and its retransmission delay.
  std::map<std::pair<size_t, size_t>, std::pair<uint64_t, Nanos>> segments_;
  std::map<size_t, std::pair<Nanos, double>> clocks_;  // offset, drift (ppm)
  std::map<std::pair<TimePoint, uint64_t>, std::pair<size_t, std::vector<ring::Member>>> views_;
  uint64_t seq_ = 0;
  uint64_t steps_ = 0;
  uint64_t next_token_ = 1;
  std::map<uint64_t, PendingAsk> asks_;
  std::vector<Observed> observed_;
  std::vector<std::string> violations_;
  uint64_t dropped_ = 0;
  uint64_t retransmissions_ = 0;
  TimePoint stable_since_ = 0;
  ring::Ring truth_;    // the ring of all alive members, rebuilt when they change
  size_t checked_ = 0;  // observed_ entries already checked
  uint64_t stable_epoch_ = 0;
  std::set<size_t> stalled_;
  std::map<size_t, std::vector<Message>> held_;  // messages to a stalled node, in order
  MessageFault message_fault_;
  DeliveryProbe delivery_probe_;
};

}  // namespace drl::cluster::sim
