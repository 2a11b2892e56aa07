// One node's share of the cluster protocol: routing (decide here or forward to the owner,
// retrying until it answers), replication to the preference list, fail-over when the ring
// drops the owner, hand-off of ranges on joins and returns, and the degrade modes. A logic core: no
// I/O, no clock, no threads. The shell (or a simulator) feeds it values -- membership views, client
// checks, peer messages, tick(now) -- and drains what it produced: results for clients and messages
// for peers.
//
// Ownership: the ClusterNode borrows the Store, which must outlive it; it owns everything
// else. Thread-compatible: one thread at a time (the shell serialises calls).
#pragma once
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cluster/check.h"
#include "cluster/ownership.h"
#include "cluster/peer_messages.h"
#include "common/time.h"
#include "ring/ring.h"
#include "store/store.h"

namespace drl::cluster {

struct ClusterOptions {
  size_t replicas = 3;  // R: owner + R-1 successors
  uint32_t vnodes = ring::kDefaultVnodes;
  Nanos replication_interval = 10 * kMillisecond;  // delta
  // tau: an attempt that gets no answer within it is tried again -- the same check, to the
  // same decider, alternately through another member (a relay) and directly -- until the
  // check's deadline. It never moves the check to another decider: only a view change does.
  Nanos failover_timeout = 50 * kMillisecond;
  // A hedge: after the shell reports a lost packet on the link to a peer
  // (note_link_loss), every forward to that peer leaves both directly and through a relay at
  // once, for this long after the latest report. The answer memory decides the two copies
  // once. 0: never.
  Nanos hedge_window = 1 * kSecond;
  // A check without a client deadline, and a forward without a budget, is given up after
  // this (the node's sessions always give one: --default-timeout-ms).
  Nanos check_timeout = 2 * kSecond;
  // The decider remembers the answers of forwarded checks this long (and at most
  // max_answered of them), and answers a repeated attempt of one from memory.
  Nanos answered_memory = 10 * kSecond;
  size_t max_answered = 100'000;
  // Request ids start here. A shell gives each process its own (random) base, so the ids of
  // a restarted node do not repeat the ones its peers still remember.
  uint64_t id_base = 0;
  // Replica batches are not acknowledged: every repair_interval the records shipped during
  // the last one (the latest of each key, at most max_repair_records) are shipped again, so
  // a lost batch of a key that stopped changing (a spent budget) still reaches its replicas.
  Nanos repair_interval = 200 * kMillisecond;
  size_t max_repair_records = 100'000;
  // A hand-off request without its last chunk after this is sent again (the ranges stay with
  // their source meanwhile), and the first time also to the source's replicas.
  Nanos handoff_timeout = 500 * kMillisecond;
  Nanos flush_delay = 50 * kMicrosecond;  // a forward batch waits at most this
  size_t max_batch = 64;                  // checks per CheckBatch
  size_t max_records_per_message = 512;   // records per ReplicaBatch / HandoffChunk
  // A view with fewer alive members than this means "we are the minority side of a
  // partition": every check is decided by its degrade mode. 0 disables the guard.
  size_t min_view_size = 0;
  size_t expire_budget = 1024;  // store keys expired per expiry pass
  // False: the store passed in is swept by its owner (the node's own timer, on its control
  // thread), so it is not swept twice; only the degraded store is swept here.
  bool sweep_store = true;
  // Expiry passes sweep the store's slots (a cost in the table's size, not in the keys that
  // expire), so tick() runs one at most this often, however often it is called.
  Nanos expire_interval = 50 * kMillisecond;
  size_t max_deferred_handoffs = 64;  // requests held until the view has the peer
  // Client checks that arrive before the first view are held this long for it, then decided
  // by their degrade mode: a node without a view cannot know it is not alone, and deciding
  // "local" from a fresh budget would hand a joiner's clients a second budget.
  Nanos first_view_wait = 500 * kMillisecond;
  size_t max_held_checks = 4096;  // beyond this, checks without a view degrade at once
};

struct ClusterStats {
  uint64_t decided_as_owner = 0;
  uint64_t decided_off_owner = 0;  // as previous owner (hand-off), or after 2 hops
  uint64_t forwarded = 0;          // checks sent to another node (all attempts)
  uint64_t failovers = 0;       // pending checks sent to a new decider: the ring changed under them
  uint64_t retries = 0;         // attempts sent again after tau without an answer
  uint64_t hedges = 0;          // first attempts also sent through a relay (a lossy link)
  uint64_t answered_again = 0;  // repeated attempts answered from memory, not decided again
  uint64_t degraded = 0;
  uint64_t replica_records_sent = 0;
  uint64_t replica_records_installed = 0;
  uint64_t handoff_records_installed = 0;
  uint64_t handoff_retries = 0;  // hand-off requests sent again (no last chunk in time)
  uint64_t rejected = 0;         // invalid checks (from clients or peers)
  uint64_t refused_relays = 0;   // relayed checks sent back: no view or hand-off pending here
  uint64_t held_for_view = 0;    // client checks held until the first view
  uint64_t expired_relays = 0;   // relayed checks not decided: they arrived after their deadline
  uint64_t late_answers = 0;     // answers to checks already answered (another attempt's)
  uint64_t expired_checks = 0;   // not tried further: their deadline (client's or relay's) passed
};

// What `drl status` shows about this node's place in the cluster.
struct ClusterStatus {
  uint64_t epoch = 0;     // of the latest view's ring
  size_t members = 0;     // alive members in the latest view
  double ring_share = 0;  // fraction of the hash space this node owns
  bool handoff_pending = false;
  size_t in_flight = 0;  // forwarded checks awaiting an answer
  uint64_t keys_as_owner = 0;
  uint64_t keys_as_replica = 0;  // held for another owner
  Nanos replication_lag = 0;     // age of the oldest change not yet shipped, at most
};

class ClusterNode {
 public:
  ClusterNode(ring::Member self, store::Backend& store, ClusterOptions options = {});

  // The alive members as membership sees them (self included when alive). The first view
  // that holds this node treats the others as the cluster it (re)joins: it takes over its
  // ranges only after fetching them from their previous owners.
  void set_view(std::vector<ring::Member> alive, TimePoint now);
  // How this node's policy set resolves a policy name. A check forwarded here that names a
  // policy is decided under this node's meaning of it (a check is decided under the
  // deciding node's set, whichever node it entered); without a lookup, or for a name it does
  // not know, under the limit the check carries.
  void set_policy_lookup(PolicyLookup lookup) { policy_lookup_ = std::move(lookup); }
  void submit(ClientCheck check, TimePoint now);
  void receive(const std::string& from, PeerMessage message, TimePoint now);
  // The shell saw the link to `peer` lose a packet (a TCP retransmission): forwards to it
  // are hedged through a relay for hedge_window from `now`.
  void note_link_loss(const std::string& peer, TimePoint now);
  // Flushes due batches, fails over timed-out forwards, replicates every
  // replication_interval, expires store keys. Call at least every flush_delay.
  void tick(TimePoint now);
  // Sends every queued forward batch now, whatever its age. A shell that knows when a burst
  // of work has been handed over calls it then: batches fill from the burst without waiting
  // flush_delay (tick() still flushes batches older than that).
  void flush(TimePoint now);

  std::vector<CheckResult> take_results() { return std::exchange(results_, {}); }
  std::vector<Outgoing> take_outgoing() { return std::exchange(outgoing_, {}); }

  const ring::Member& self() const { return self_; }
  // The ring of the latest view, and the ring checks follow until hand-off completes.
  const ring::Ring& ring() const { return target_; }
  const ring::Ring& routing_ring() const { return handoff_pending() ? stable_ : target_; }
  bool handoff_pending() const { return !handoffs_.empty(); }
  size_t in_flight() const { return pending_.size(); }
  // When tick() next has replication to do (every replication_interval): a shell with nothing
  // else to wait for need not tick before it.
  TimePoint next_replication() const { return next_replication_; }
  // True while a forward batch waits for its flush (tick() after flush_delay sends it).
  bool has_unflushed_forwards() const;
  const ClusterStats& stats() const { return stats_; }
  // What a shell may decide without this object (cluster/ownership.h): the keys this node
  // owns when the view is settled (a view, no hand-off pending, not below min_view_size).
  // A pure function of this node's state.
  Ownership ownership() const;
  // Raised by every call that may change ownership(): a shell republishes its copy when this
  // differs from the value it published with.
  uint64_t ownership_changes() const { return ownership_changes_; }
  // What `drl status` shows; for status requests, not for the request path. The key counts
  // (keys_as_owner, keys_as_replica) are a pass over the store; without `count_keys` they
  // are left 0 (for callers that poll the view).
  ClusterStatus status(TimePoint now, bool count_keys = true) const;

 private:
  enum class Route { kDecide, kForward, kDegrade };
  struct Origin {
    bool relay = false;  // false: a client of this node
    uint64_t client_token = 0;
    std::string from;         // relay: the node to answer
    uint64_t request_id = 0;  // relay: the id that node used
  };
  struct Pending {
    Origin origin;
    ForwardedCheck check;  // deadline: when the check is given up (this node's clock)
    uint64_t hash = 0;
    std::string decider;  // where the last attempt was meant to be decided
    uint32_t attempts = 0;
    TimePoint retry_at = 0;  // the next attempt, or the deadline if sooner
  };
  // Where a check for `hash` is decided now: here, or at `id` (with must_decide for the
  // previous owner of a range whose hand-off is pending).
  struct Decider {
    bool here = false;
    std::string id;
    bool must_decide = false;
  };
  // A check as the decider knows it: the node that first forwarded it and that node's id.
  using CheckKey = std::pair<std::string, uint64_t>;
  struct Answered {
    CheckAnswer answer;
    TimePoint at = 0;
  };
  struct OutBatch {
    CheckBatch batch;
    TimePoint first_at = 0;
  };
  struct Handoff {
    std::string from;
    std::vector<ring::HashRange> ranges;
    TimePoint deadline = 0;
    // Once `from` has not answered within handoff_timeout, the same ranges are also asked of
    // the next live members of their previous preference lists (replicas of `from`'s state):
    // their request ids, and whether each one's last chunk arrived. All arrived ends the
    // hand-off too.
    std::map<uint64_t, bool> alternates;
    bool asked_alternates = false;
  };

  // routing.cpp
  void route(Origin origin, ForwardedCheck check, TimePoint now);
  Decider decider_for(uint64_t hash) const;
  void attempt(uint64_t id, TimePoint now);
  void give_up(uint64_t id, TimePoint now);
  const std::string* relay_for(uint64_t hash, const std::string& decider, uint32_t turn);
  bool link_is_lossy(const std::string& peer, TimePoint now);
  void reroute_pending(TimePoint now);
  void reroute_if_changed(TimePoint now);
  void remember(CheckKey key, const CheckAnswer& answer, TimePoint now);
  void forget_answered(TimePoint now);
  void decide_here(const Origin& origin, const ForwardedCheck& check, TimePoint now);
  void degrade(const Origin& origin, const ForwardedCheck& check, TimePoint now);
  // A relayed check with its policy resolved in this node's set: `check` itself when it names
  // no policy, came from this node's client, or names one this node does not know, else
  // `scratch` filled. own_limit: the limit differs from the one the check carried.
  const ForwardedCheck& under_own_policy(const Origin& origin, const ForwardedCheck& check,
                                         ForwardedCheck& scratch, bool& own_limit);
  void deliver(const Origin& origin, CheckAnswer answer);
  void enqueue_forward(const std::string& to, ForwardedCheck check, TimePoint now);
  void flush_batches(TimePoint now, bool all);
  void on_checks(const std::string& from, CheckBatch batch, TimePoint now);
  void on_answers(AnswerBatch batch, TimePoint now);
  void expire_forwards(TimePoint now);
  bool must_refuse_relay(const ForwardedCheck& check) const;
  // True (and answers kExpiredError) when a relayed check's deadline has passed.
  bool refuse_expired(const Origin& origin, const ForwardedCheck& check, TimePoint now);
  void release_held(TimePoint now, bool view_arrived);
  // replication.cpp
  void replicate(TimePoint now);
  void harvest_changes(std::map<std::string, ReplicaBatch>& batches);
  void repair_replicas(std::map<std::string, ReplicaBatch>& batches, TimePoint now);
  void on_replicas(const ReplicaBatch& batch);
  void resync_replicas(std::map<std::string, ReplicaBatch>& batches);
  void add_record(std::map<std::string, ReplicaBatch>& batches, const std::string& to,
                  const store::KeyRecord& record);
  // handoff.cpp
  void start_handoff(TimePoint now);
  void on_handoff_request(const std::string& from, const HandoffRequest& request);
  void serve_handoff(const std::string& to, const HandoffRequest& request);
  void serve_deferred_requests();
  void on_handoff_chunk(const HandoffChunk& chunk);
  void expire_handoffs(TimePoint now);
  void ask_alternates(uint64_t id, Handoff& handoff);
  void finish_handoff_if_done();
  // Where checks for `hash` go while its hand-off is pending: the range's previous owner, or
  // the replica this node fetches the range from when that owner is gone; "" when this node
  // decides them itself.
  std::string handoff_target(uint64_t hash) const;
  // The member this node is fetching the range holding `hash` from, "" if none.
  std::string handoff_source(uint64_t hash) const;

  bool below_min_view() const {
    return options_.min_view_size > 0 && target_.size() < options_.min_view_size;
  }
  bool is_self(ring::MemberIndex m, const ring::Ring& r) const {
    return r.member(m).id == self_.id;
  }
  void flush_answers();

  ring::Member self_;
  store::Backend& store_;
  ClusterOptions options_;
  PolicyLookup policy_lookup_;
  store::Store degraded_store_;  // local-mode state, never replicated

  bool has_view_ = false;
  ring::Ring target_;  // from the latest view
  ring::Ring stable_;  // the ring before the changes whose hand-off is still pending
  size_t peak_size_ = 1;

  uint64_t next_id_ = 1;
  std::map<uint64_t, Pending> pending_;
  std::set<std::pair<TimePoint, uint64_t>> deadlines_;  // (retry_at, id)
  // Answers of forwarded checks decided here, by CheckKey, and their keys oldest first. One
  // entry per forwarded check decided here, so a flat table (no allocation per entry).
  absl::flat_hash_map<CheckKey, Answered> answered_;
  std::deque<CheckKey> answered_order_;
  struct Held {
    Origin origin;
    ForwardedCheck check;
    TimePoint deadline = 0;
  };
  std::vector<Held> held_;  // client checks waiting for the first view, oldest first
  std::map<std::string, OutBatch> out_checks_;
  std::map<std::string, TimePoint> lossy_until_;  // peers whose forwards are hedged, until
  std::map<std::string, AnswerBatch> out_answers_;

  TimePoint next_expiry_ = 0;
  uint64_t replicated_seq_ = 0;
  TimePoint next_replication_ = 0;
  TimePoint last_replication_ = 0;
  std::set<std::string> off_owner_keys_;  // decided here though not the owner; ship them too
  // Shipped since the last repair: the latest record of each key, and where it went.
  std::map<std::string, std::pair<store::KeyRecord, std::vector<std::string>>> shipped_;
  TimePoint next_repair_ = 0;
  // The ring whose preference lists hold every key this node owns. When the ring changes,
  // unchanged keys are shipped to the members new to their lists (a key whose budget is
  // spent may not change again for a whole window, yet must survive the next crash).
  ring::Ring synced_ring_;

  std::map<uint64_t, Handoff> handoffs_;
  std::map<uint64_t, uint64_t> alternate_of_;  // an alternate request's id -> its hand-off's
  uint64_t ownership_changes_ = 0;
  uint64_t rerouted_changes_ = 0;  // ownership_changes_ when pending checks were last rerouted
  // Requests from members this node's view does not hold yet: answering them now would let
  // the requester decide while this node still does too. Served when the view catches up.
  std::vector<std::pair<std::string, HandoffRequest>> deferred_requests_;

  std::vector<CheckResult> results_;
  std::vector<Outgoing> outgoing_;
  ClusterStats stats_;
  std::vector<ring::MemberIndex> scratch_;
};

}  // namespace drl::cluster
