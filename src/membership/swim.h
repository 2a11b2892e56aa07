// The SWIM membership protocol (Das, Gupta, Motivala 2002) with Lifeguard (Dadgar et al.
// 2017): probes, indirect probes with nacks, suspicion with dynamic timeouts, incarnations,
// piggy-backed dissemination, local health, periodic push/pull and graceful leave.
//
// A pure logic core: no I/O, no clock, no global randomness. The caller (an I/O shell such
// as net::GossipTransport, or the test simulator) passes time in, feeds received messages
// to receive()/answer_sync(), calls tick() at least every ~probe_timeout/5, and after every
// call drains take_outbox() (messages to send) and take_events() (membership changes).
//
// Ownership and threads: Swim owns its state and borrows `random`, which must outlive it.
// Not thread-safe: call it from one thread (or strand) at a time.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/random.h"
#include "membership/broadcast_queue.h"
#include "membership/config.h"
#include "membership/events.h"
#include "membership/member.h"
#include "membership/message.h"
#include "membership/suspicion.h"

namespace drl::membership {

struct SwimStats {
  uint64_t probes = 0;
  uint64_t probes_failed = 0;
  uint64_t indirect_probes = 0;
  uint64_t suspicions_raised = 0;  // by this node's own failed probes
  uint64_t refutations = 0;
  uint64_t declared_dead = 0;  // suspicion timers that expired here
  uint64_t push_pulls = 0;     // started by this node (incl. joins)
};

class Swim {
 public:
  Swim(Config config, MemberInfo self, Random& random, TimePoint now);

  // Joins through the seeds (host:port); any one live seed suffices. Retried every
  // join_retry_interval until a seed answers. An empty list makes this node a new cluster.
  void join(std::vector<std::string> seeds, TimePoint now);
  // Replaces the seeds (e.g. re-resolved from DNS) and syncs at once with each one no live
  // member holds: a join while not joined, else a push/pull, so that a node alone, or a
  // cluster formed apart from the one a seed belongs to, merges with it.
  void set_seeds(std::vector<std::string> seeds, TimePoint now);
  void tick(TimePoint now);
  // A UDP packet or a push/pull reply. Replies go to message.sender_address.
  void receive(const Message& message, TimePoint now);
  // An incoming sync (push/pull) request; returns the reply for the same connection, or
  // nullopt when the request is not a push/pull.
  std::optional<Message> answer_sync(const Message& request, TimePoint now);
  // Announces departure to every live member; afterwards the node is silent.
  void leave(TimePoint now);
  // New metadata tags for this node, announced with a higher incarnation.
  void set_tags(std::map<std::string, std::string> tags, TimePoint now);

  std::vector<Outgoing> take_outbox();
  std::vector<MembershipEvent> take_events();

  const Member& self() const { return members_.at(self_id_); }
  const Member* find(std::string_view id) const;
  // Every known member, self included, dead and left ones until reaped; sorted by id.
  std::vector<Member> members() const;
  // Members alive or suspect (a suspect is still a member), self included; sorted by id.
  std::vector<Member> alive_members() const;
  size_t live_count() const { return live_count_; }
  // Lifeguard local health score: 0 is healthy; timeouts scale by (health() + 1).
  int health() const { return health_; }
  bool joined() const { return joined_; }
  bool has_left() const { return left_; }
  const SwimStats& stats() const { return stats_; }

 private:
  struct Probe {
    uint64_t seq = 0;
    std::string target_id;
    TimePoint started = 0;
    TimePoint indirect_at = 0;
    bool indirect_sent = false;
    bool acked = false;
    int expected_nacks = 0;
    int nacks = 0;
  };
  struct Relay {  // a ping we send on behalf of a ping-req
    std::string requester_address;
    uint64_t requester_seq = 0;
    TimePoint nack_at = 0;
  };

  // Probing (swim_probe.cpp).
  void finish_probe(TimePoint now);
  void start_probe(TimePoint now);
  void send_indirect_probes(TimePoint now);
  void gossip_to_the_dead(TimePoint now);
  void gossip_round(TimePoint now);
  void expire_relays(TimePoint now);
  std::optional<std::string> next_probe_target();
  void handle(const Ping& ping, const Message& m, TimePoint now);
  void handle(const PingReq& req, const Message& m, TimePoint now);
  void handle(const Ack& ack, const Message& m, TimePoint now);
  void handle(const Nack& nack, const Message& m, TimePoint now);
  void handle(const Gossip&, const Message&, TimePoint) {}
  void handle(const PushPull& pp, const Message& m, TimePoint now);

  // State changes (swim_updates.cpp).
  void apply(const Update& u, TimePoint now);
  void apply_alive(const Update& u, TimePoint now);
  void apply_suspect(const Update& u, TimePoint now);
  void apply_dead(const Update& u, TimePoint now);
  void refute(Incarnation seen, TimePoint now);
  void suspect(const std::string& id, TimePoint now);
  void expire_suspicions(TimePoint now);
  void merge(const PushPull& pp, TimePoint now);
  void set_state(Member& m, MemberState state, Incarnation inc, TimePoint now);
  void emit(EventKind kind, const Member& m, TimePoint now, std::string by = {});
  void reap(TimePoint now);
  Update update_of(const Member& m, std::string from = {}) const;

  // Sending.
  // buddy_id: a member whose suspicion/death goes first (Lifeguard buddy system);
  // with_self: our own alive state goes first (answering a ping that carried stale news of us).
  void send(const std::string& to, Body body, TimePoint now, std::string_view buddy_id = {},
            bool with_self = false);
  void start_push_pull(const std::string& to, bool join, TimePoint now);
  PushPull local_state(bool join, bool reply) const;
  int transmit_limit() const;
  Nanos scaled(Nanos d) const { return d * (health_ + 1); }
  void adjust_health(int delta);

  Config config_;
  std::string self_id_;
  Random& random_;
  std::map<std::string, Member, std::less<>> members_;  // self included
  size_t live_count_ = 1;
  std::map<std::string, Suspicion, std::less<>> suspicions_;
  BroadcastQueue broadcasts_;
  std::vector<std::string> probe_order_;
  std::set<std::string, std::less<>> probe_soon_;  // suspects we have not probed ourselves yet
  size_t probe_index_ = 0;
  std::optional<Probe> probe_;
  std::map<uint64_t, Relay> relays_;
  std::map<std::string, TimePoint, std::less<>> last_heal_sync_;
  std::vector<std::string> seeds_;
  uint64_t next_seq_ = 1;
  int health_ = 0;
  bool joined_ = false;
  bool left_ = false;
  TimePoint next_probe_at_;
  TimePoint next_push_pull_at_;
  TimePoint next_join_at_ = 0;
  TimePoint next_dead_gossip_at_;
  TimePoint next_gossip_at_;
  std::vector<Outgoing> outbox_;
  std::vector<MembershipEvent> events_;
  SwimStats stats_;
};

}  // namespace drl::membership
