// The cluster's CheckDecider: resolves each check's policy (as the LocalDecider does), then
// decides it at once when this node owns its key on a settled view (cluster/ownership.h),
// and hands every other check to a cluster::ClusterNode, which decides it here or forwards it
// to the key's owner over the peer links. Completes client checks from the node's results.
//
// Threads: ClusterNode is single-threaded, so it runs, with the peer links and the peer
// server, on this object's own thread and io_context. A timer calls tick(): after
// flush_delay while a batch may wait for flushing, every millisecond while forwards are in
// flight, otherwise every few milliseconds (replication, expiry). decide(), set_view(),
// accept_peer() and snapshot() are thread-safe; completions run on the caller's thread for
// checks decided inline, on the cluster thread otherwise.
//
// Inline decisions (the fast path) run on the calling I/O thread, straight into the store,
// from this object's copy of the ClusterNode's ownership. The copy changes only inside an
// exclusion with the inline deciders (a Dekker pair, as in SoloDecider): the cluster thread
// raises `changing_`, waits until no inline decision is in progress, makes the ClusterNode
// call that changes ownership (a view, a hand-off finishing), publishes the new copy and
// lowers `changing_`. A decide() that finds `changing_` raised sends its checks to the
// cluster thread instead, so no inline decision straddles an ownership change, and a
// hand-off scan made after a view change sees every state decided inline before it.
// Ownership: borrows the store, policies, clock and metrics (all must outlive it); owns the
// ClusterNode, the thread and the links. stop() (or the destructor) joins the thread.
#pragma once
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cluster/cluster_node.h"
#include "cluster/policy_spread.h"
#include "common/clock.h"
#include "net/peer_link.h"
#include "net/peer_server.h"
#include "service/check_decider.h"
#include "service/decision_metrics.h"
#include "service/policy_book.h"
#include "service/prometheus_text.h"

namespace drl::net {

struct ClusterSnapshot {
  cluster::ClusterStatus status;
  cluster::ClusterStats stats;
};

class ClusterDecider final : public service::CheckDecider {
 public:
  ClusterDecider(store::Backend& store, const service::PolicyBook& policies, const Clock& clock,
                 service::DecisionMetrics& metrics, cluster::ClusterOptions cluster_options,
                 net::PeerLinkOptions peer_options);
  ~ClusterDecider() override;

  // A policy set installed or refused (cluster/policy_spread.h), on the cluster thread: the
  // listener installs it in the node's PolicyBook, logs it and saves it.
  using PolicyListener = std::function<void(const cluster::PolicyEvent&)>;

  // Creates the ClusterNode for `self` (its address is where peers connect) and starts the
  // thread. Call once, before any decide(). `policies`: the set the node starts with (its
  // --policies file at version 0, or the set it saved); `on_policy` may be null;
  // `spread_options` checks a set's RLS document.
  void start(ring::Member self, cluster::PolicyOffer policies = {},
             PolicyListener on_policy = nullptr, cluster::PolicySpreadOptions spread_options = {});
  void stop();

  // cluster_decider_policies.cpp. Installs `yaml` (with the RLS document `rls`) as the
  // cluster's next policy set and offers it to every member (PolicySpread::push). A null
  // `yaml` or `rls` keeps the one of the set in force. Returns "" and fills `installed`, or
  // says why the set is refused (or that the cluster thread did not answer within `wait`).
  std::string push_policies(const std::string* yaml, const std::string* rls,
                            cluster::PolicyDigest& installed, std::chrono::milliseconds wait);
  // The set this node holds now. Thread-safe; false if the cluster thread did not answer.
  bool policies(cluster::PolicyOffer& out, std::chrono::milliseconds wait);

  void decide(std::span<const service::CheckCall> calls, service::CheckCompletion done) override;
  // The alive members (self included), as membership sees them.
  void set_view(std::vector<ring::Member> alive);
  // A connection whose "DRLP" magic was consumed; the socket may belong to any io_context.
  void accept_peer(asio::ip::tcp::socket socket, net::PeerLane lane = net::PeerLane::kMain);
  // Waits up to `wait` for the cluster thread to fill `out`; false on timeout. Without
  // `count_keys` the status's key counts (a pass over the store) are left 0: for pollers of
  // the view, which must not cost the cluster thread O(keys) each time.
  bool snapshot(ClusterSnapshot& out, std::chrono::milliseconds wait, bool count_keys = true);
  const net::PeerStats& peer_stats() const { return peer_stats_; }
  // Appends the cluster's counters (drl_cluster_checks_total by kind) to a metrics page.
  // Thread-safe (takes a snapshot); writes nothing if the cluster thread does not answer.
  void render_metrics(service::PrometheusText& t);

 private:
  // The two connections to a peer (net/peer_link.h, lanes), made on first use.
  struct PeerLinks {
    std::shared_ptr<net::PeerLink> main, checks;
  };
  struct Batch;
  struct Slot {
    std::shared_ptr<Batch> batch;
    size_t index = 0;
  };

  struct Queued {
    std::shared_ptr<Batch> batch;
    std::vector<cluster::ClientCheck> checks;
  };

  // The fast path: decides `calls` inline where ownership allows; the rest go to the
  // cluster thread. Any thread.
  void decide_calls(std::span<const service::CheckCall> calls, service::CheckCompletion& done);
  // Resolves a call's policy into `check` (key, limit, request, degrade); false, with `out`
  // answered, when the call cannot be decided. Any thread.
  bool resolve(const service::CheckCall& call, const service::PolicyCatalog& catalog,
               cluster::ClientCheck& check, service::CheckOutcome& out, uint16_t& slot);
  void enqueue(std::shared_ptr<Batch> batch, std::vector<cluster::ClientCheck> checks);

  // Cluster thread only, below.
  void take_inbox();
  // Runs `change` (a ClusterNode call that may change ownership) with no inline decision in
  // progress, then publishes the ClusterNode's ownership.
  template <typename F>
  void change_ownership(F&& change);
  void republish_if_changed();
  bool on_peer_frame(const std::string& from, std::string_view payload);
  void drain();
  // cluster_decider_policies.cpp, cluster thread.
  bool receive_policy(const std::string& from, const cluster::PeerMessage& message);
  void drain_policies();
  void complete(const cluster::CheckResult& result);
  void send(const std::string& to, const cluster::PeerMessage& message);
  // The lane a check batch or answer batch to `to` leaves on (net/peer_link.h).
  net::PeerLink& lane_for_checks(const std::string& to, PeerLinks& links);
  bool link_is_lossy(const std::string& to, std::chrono::steady_clock::time_point now);
  void schedule();
  void arm(std::chrono::steady_clock::duration delay);
  void on_timer();
  // Tells the ClusterNode about links whose TCP retransmitted since the last look.
  void watch_link_loss();

  store::Backend& store_;
  const service::PolicyBook& policies_;
  const Clock& clock_;
  service::DecisionMetrics& metrics_;
  cluster::ClusterOptions cluster_options_;
  net::PeerLinkOptions peer_options_;
  net::PeerStats peer_stats_;

  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;

  std::optional<cluster::ClusterNode> node_;
  std::optional<cluster::PolicySpread> policy_spread_;  // cluster thread only
  // The catalog of the ClusterNode's last policy lookup (cluster thread only): what the
  // pointer it returned points into.
  std::shared_ptr<const service::PolicyCatalog> lookup_catalog_;
  PolicyListener on_policy_;
  std::string self_id_;  // decided_by of inline decisions

  // The fast path's state. ownership_ is written by the cluster thread only while changing_
  // is raised and inline_ is 0; read by inline deciders only while they count in inline_
  // and saw changing_ lowered. Both atomics sequentially consistent (a Dekker pair).
  cluster::Ownership ownership_;
  uint64_t published_changes_ = 0;    // ClusterNode::ownership_changes() of ownership_
  std::atomic<bool> changing_{true};  // raised until the first publication
  std::atomic<int64_t> inline_{0};
  std::atomic<uint64_t> decided_inline_{0};  // counted as decided_as_owner in snapshots

  // Checks for the cluster thread: one post wakes it for everything queued meanwhile.
  std::mutex inbox_mu_;
  std::vector<Queued> inbox_;  // guarded by inbox_mu_
  bool inbox_posted_ = false;  // guarded by inbox_mu_: a take_inbox() is posted
  std::string hello_;          // id '\0' address, the first frame of every link
  std::optional<net::PeerServer> server_;
  std::map<std::string, PeerLinks> links_;        // the two connections to each peer, by id
  std::set<std::string> view_ids_;                // the members of the last view given
  std::map<std::string, std::string> addresses_;  // member id -> address, from views and hellos
  std::chrono::steady_clock::time_point next_loss_watch_{};
  std::map<std::string, std::chrono::steady_clock::time_point> lossy_until_;
  // Peers whose checks keep to the main lane until then (a hand-off with them is under way).
  std::map<std::string, std::chrono::steady_clock::time_point> in_order_until_;
  std::unordered_map<uint64_t, Slot> slots_;
  uint64_t next_token_ = 1;
  bool work_pending_ = false;  // submitted or received since the last tick
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  std::chrono::steady_clock::time_point armed_at_;
};

}  // namespace drl::net
