// A deterministic in-process network of Swim nodes for tests: simulated time, seeded
// randomness, per-link loss and delay, partitions, crashes, restarts and pauses. Ordered
// containers only, so a run repeats exactly from its seed. Single-threaded.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/random.h"
#include "membership/gossip_codec.h"
#include "membership/swim.h"

namespace drl::membership::sim {

// The seed for a randomised test: env DRL_SEED if set, else `fallback`.
uint64_t test_seed(uint64_t fallback);
// True when env DRL_SANITIZER_BUILD is set (tests then use fewer seeds).
bool sanitizer_build();

struct LinkFault {
  double loss = 0.0;  // probability a datagram is dropped (TCP sync is not lossy)
  Nanos min_delay = 1 * kMillisecond;
  Nanos max_delay = 5 * kMillisecond;
};

struct SimOptions {
  int nodes = 5;
  uint64_t seed = 1;
  Config config;
  LinkFault link;                  // default for every link
  Nanos tick = 10 * kMillisecond;  // every running node's tick() period
  bool through_codec = false;      // round-trip every message through GossipCodec
  std::shared_ptr<const Sealer> sealer;  // used when through_codec; null: plain
};

class SimCluster {
 public:
  using EventObserver = std::function<void(int observer, const MembershipEvent&)>;

  explicit SimCluster(SimOptions options);

  // Node 0 founds the cluster; every other node joins through node 0.
  void start_all();
  void run_for(Nanos d);
  // Runs until pred() holds (checked at the start and after every tick round) or `limit` of
  // simulated time passed.
  bool run_until(const std::function<bool()>& pred, Nanos limit);

  TimePoint now() const { return now_; }
  int size() const { return static_cast<int>(nodes_.size()); }
  Swim& node(int i) { return *nodes_[static_cast<size_t>(i)].swim; }
  std::string id(int i) const;
  std::string address(int i) const;
  bool up(int i) const { return nodes_[static_cast<size_t>(i)].up; }

  void crash(int i);
  // A fresh process with the same id and address, joining through other nodes.
  void restart(int i);
  // A paused node neither ticks nor processes; packets queue up and are handled on resume.
  void pause(int i);
  void resume(int i);
  // Cuts every link between `side` and the other nodes (both directions).
  void partition(const std::set<int>& side);
  void heal();
  void set_link(int from, int to, LinkFault fault);

  // True when every running node sees exactly the running (incl. paused) nodes as live.
  bool all_agree() const;
  // True when node `observer` considers node `subject` live (alive or suspect).
  bool sees_live(int observer, int subject) const;

  void set_observer(EventObserver observer) { observer_ = std::move(observer); }
  uint64_t datagrams_sent() const { return sent_; }
  uint64_t datagrams_lost() const { return lost_; }

 private:
  struct Delivery {
    int to = 0;
    int from = 0;
    Message message;
    bool sync_request = false;
  };
  struct Node {
    std::unique_ptr<Random> random;
    std::unique_ptr<Swim> swim;
    bool up = true;
    bool paused = false;
    int generation = 0;
    std::vector<Delivery> pending;
  };

  void boot(int i, std::vector<std::string> seeds);
  void drain(int i);
  void deliver(Delivery d);
  void process(Delivery d);
  bool blocked(int from, int to) const;
  const LinkFault& link(int from, int to) const;
  Message through_codec(const Message& m, Transport t);

  SimOptions options_;
  Random net_random_;
  TimePoint now_;
  TimePoint next_tick_;
  uint64_t next_delivery_ = 0;
  std::vector<Node> nodes_;
  std::map<std::string, int> by_address_;
  std::map<std::pair<TimePoint, uint64_t>, Delivery> in_flight_;
  std::map<std::pair<int, int>, LinkFault> links_;
  std::optional<std::set<int>> partition_;
  std::unique_ptr<GossipCodec> codec_;
  EventObserver observer_;
  uint64_t sent_ = 0;
  uint64_t lost_ = 0;
};

}  // namespace drl::membership::sim
