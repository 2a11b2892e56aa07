// The cluster's CheckDecider: resolves each check's policy (as the LocalDecider does), then
// hands it to a cluster::ClusterNode, which decides it here or forwards it to the key's owner
// over the peer links. Completes client checks from the node's results.
//
// Threads: ClusterNode is single-threaded, so it runs, with the peer links and the peer
// server, on this object's own thread and io_context. A timer calls tick(): after
// flush_delay while a batch may wait for flushing, every millisecond while forwards are in
// flight, otherwise every few milliseconds (replication, expiry). decide(), set_view(),
// accept_peer() and snapshot() are thread-safe; completions run on the cluster thread.
// Ownership: borrows the store, policies, clock and metrics (all must outlive it); owns the
// ClusterNode, the thread and the links. stop() (or the destructor) joins the thread.
#pragma once
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cluster/cluster_node.h"
#include "common/clock.h"
#include "net/check_decider.h"
#include "net/peer_link.h"
#include "net/peer_server.h"
#include "node/decision_metrics.h"
#include "node/policy_book.h"
#include "node/prometheus_text.h"

namespace drl::node {

struct ClusterSnapshot {
  cluster::ClusterStatus status;
  cluster::ClusterStats stats;
};

class ClusterDecider final : public net::CheckDecider {
 public:
  ClusterDecider(store::Store& store, const PolicyBook& policies, const Clock& clock,
                 DecisionMetrics& metrics, cluster::ClusterOptions cluster_options,
                 net::PeerLinkOptions peer_options);
  ~ClusterDecider() override;

  // Creates the ClusterNode for `self` (its address is where peers connect) and starts the
  // thread. Call once, before any decide().
  void start(ring::Member self);
  void stop();

  void decide(std::span<const net::CheckCall> calls, net::CheckCompletion done) override;
  // The alive members (self included), as membership sees them.
  void set_view(std::vector<ring::Member> alive);
  // A connection whose "DRLP" magic was consumed; the socket may belong to any io_context.
  void accept_peer(asio::ip::tcp::socket socket);
  // Waits up to `wait` for the cluster thread to fill `out`; false on timeout.
  bool snapshot(ClusterSnapshot& out, std::chrono::milliseconds wait);
  const net::PeerStats& peer_stats() const { return peer_stats_; }
  // Appends the cluster's counters (drl_cluster_checks_total by kind) to a metrics page.
  // Thread-safe (takes a snapshot); writes nothing if the cluster thread does not answer.
  void render_metrics(PrometheusText& t);

 private:
  struct Batch;
  struct Slot {
    std::shared_ptr<Batch> batch;
    size_t index = 0;
  };

  // Cluster thread only, below.
  void submit(const std::shared_ptr<Batch>& batch, std::vector<cluster::ClientCheck> checks);
  bool on_peer_frame(const std::string& from, std::string_view payload);
  void drain();
  void complete(const cluster::CheckResult& result);
  void send(const std::string& to, const cluster::PeerMessage& message);
  void schedule();
  void arm(std::chrono::steady_clock::duration delay);
  void on_timer();

  store::Store& store_;
  const PolicyBook& policies_;
  const Clock& clock_;
  DecisionMetrics& metrics_;
  cluster::ClusterOptions cluster_options_;
  net::PeerLinkOptions peer_options_;
  net::PeerStats peer_stats_;

  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;

  std::optional<cluster::ClusterNode> node_;
  std::string hello_;  // id '\0' address, the first frame of every link
  std::optional<net::PeerServer> server_;
  std::map<std::string, std::shared_ptr<net::PeerLink>> links_;
  std::map<std::string, std::string> addresses_;  // member id -> address, from views and hellos
  std::unordered_map<uint64_t, Slot> slots_;
  uint64_t next_token_ = 1;
  bool work_pending_ = false;  // submitted or received since the last tick
  asio::steady_timer timer_;
  bool timer_armed_ = false;
  std::chrono::steady_clock::time_point armed_at_;
};

}  // namespace drl::node
