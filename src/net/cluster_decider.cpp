#include "net/cluster_decider.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>
#include <future>
#include <random>
#include <set>
#include <thread>

#include "cluster/inline_decision.h"
#include "cluster/peer_codec.h"
#include "common/key_hash.h"
#include "common/printable.h"
#include "service/check_resolution.h"
#include "service/decided_outcome.h"
#include "service/local_decider.h"
#include "service/store_key.h"

namespace drl::net {
namespace {

// Without forwards in flight the node still ticks for replication and store expiry: when
// replication is next due (ClusterOptions::replication_interval, 10 ms), at most this far apart.
constexpr auto kIdleTick = std::chrono::milliseconds(10);
// With forwards in flight: fail-over deadlines are tens of milliseconds.
constexpr auto kInFlightTick = std::chrono::milliseconds(1);
// How often the peer links' retransmission counts are read (one getsockopt per link).
constexpr auto kLossWatchInterval = std::chrono::milliseconds(20);
// A link that retransmitted gets loss probes (PeerLinkOptions::probe_payload) this long after.
constexpr auto kLossyHold = std::chrono::seconds(1);
// The check lane carries checks once it has been connected this long: a peer whose listener
// does not know the lane (an older build) closes it at once.
constexpr auto kLaneSettle = std::chrono::milliseconds(300);
// Checks to a peer keep to the main lane this long after a hand-off message to it (longer
// than a hand-off takes, and than the main lane may stall before it breaks: 2 s).
constexpr auto kHandoffInOrder = std::chrono::seconds(3);

}  // namespace

// One client decide() call: its completion, and what each check needs to be answered.
struct ClusterDecider::Batch {
  service::CheckCompletion done;
  std::vector<service::CheckOutcome> outcomes;
  std::vector<std::string> decided_by;
  std::vector<std::string> user_keys;  // for denial sentences
  std::vector<limits::Limit> limits;
  std::vector<uint16_t> slots;
  size_t remaining = 0;
};

ClusterDecider::ClusterDecider(store::Backend& store, const service::PolicyBook& policies,
                               const Clock& clock, service::DecisionMetrics& metrics,
                               cluster::ClusterOptions cluster_options,
                               net::PeerLinkOptions peer_options)
    : store_(store),
      policies_(policies),
      clock_(clock),
      metrics_(metrics),
      cluster_options_(cluster_options),
      peer_options_(std::move(peer_options)),
      work_(io_.get_executor()),
      timer_(io_) {
  // A loss probe is an empty answer batch: every node, older ones included, reads it as
  // nothing to do.
  if (peer_options_.probe_payload.empty()) {
    peer_options_.probe_payload = cluster::encode_peer_message(cluster::AnswerBatch{});
  }
}

ClusterDecider::~ClusterDecider() { stop(); }

void ClusterDecider::start(ring::Member self, cluster::PolicyOffer policies,
                           PolicyListener on_policy, cluster::PolicySpreadOptions spread_options) {
  hello_ = self.id + '\0' + self.address;
  self_id_ = self.id;
  if (cluster_options_.id_base == 0) {
    // Peers remember answered checks by (this node, request id) for a while: a restarted
    // process must not reuse its predecessor's ids. 2^32 ids from a random 64-bit base.
    std::random_device entropy;
    cluster_options_.id_base = (uint64_t{entropy()} << 32 | entropy()) & ~uint64_t{0xffffffff};
  }
  policy_spread_.emplace(self.id, std::move(policies), std::move(spread_options));
  on_policy_ = std::move(on_policy);
  node_.emplace(std::move(self), store_, cluster_options_);
  // A check forwarded here is decided under this node's policy set (cluster thread).
  node_->set_policy_lookup([this](std::string_view name) -> const limits::Policy* {
    lookup_catalog_ = policies_.current();
    uint16_t slot = 0;
    return lookup_catalog_->find(name, slot);
  });
  server_.emplace(
      peer_options_, peer_stats_,
      [this](const std::string& from, std::string_view payload) {
        return on_peer_frame(from, payload);
      },
      [this](const std::string& from, const std::string& address) {
        if (!address.empty() && !addresses_.count(from)) addresses_[from] = address;
      });
  thread_ = std::thread([this] {
    asio::post(io_, [this] { schedule(); });
    io_.run();
  });
}

void ClusterDecider::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    timer_.cancel();
    for (auto& [id, link] : links_) {
      link.main->close();
      if (link.checks) link.checks->close();
    }
    links_.clear();
    if (server_) server_->stop();
    work_.reset();
    io_.stop();
  });
  thread_.join();
}

void ClusterDecider::decide(std::span<const service::CheckCall> calls,
                            service::CheckCompletion done) {
  decide_calls(calls, done);
}

bool ClusterDecider::resolve(const service::CheckCall& call, const service::PolicyCatalog& catalog,
                             cluster::ClientCheck& check, service::CheckOutcome& out,
                             uint16_t& slot) {
  service::ResolvedCheck resolved;
  const Status status = service::resolve_check(call, catalog, resolved);
  slot = resolved.slot;
  if (!status) {
    out.code = status.code();
    out.message = status.message();
    metrics_.count(slot, service::CheckResultKind::kError);
    return false;
  }
  check.limit = *resolved.limit;
  check.request = resolved.request;
  check.degrade = resolved.degrade;
  check.memory_full = resolved.memory_full;
  check.policy.assign(call.has_inline ? std::string_view() : call.policy);
  check.client_shadow = call.request.shadow;
  // The store key namespaces the user key by its limit, exactly as on a single node, and
  // is what the ring hashes: every node routes the same check to the same owner.
  service::store_key_for(call, check.key);
  return true;
}

void ClusterDecider::decide_calls(std::span<const service::CheckCall> calls,
                                  service::CheckCompletion& done) {
  // Reused per thread: a completion never calls decide() on the same thread before it returns.
  thread_local std::vector<service::CheckOutcome> outcomes;
  thread_local std::vector<uint16_t> slots;
  thread_local cluster::ClientCheck scratch;
  outcomes.assign(calls.size(), service::CheckOutcome{});
  slots.assign(calls.size(), service::DecisionMetrics::kInlineSlot);
  std::vector<cluster::ClientCheck> deferred;
  const auto catalog = policies_.current();

  inline_.fetch_add(1);
  const bool fast = !changing_.load();
  const TimePoint now = fast ? clock_.now() : 0;
  size_t decided = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    service::CheckOutcome& out = outcomes[i];
    if (!resolve(calls[i], *catalog, scratch, out, slots[i])) continue;
    if (fast && cluster::decide_inline(
                    ownership_, store_, scratch.key, scratch.limit, scratch.request, now,
                    store::memory_rule(scratch.memory_full, scratch.degrade), out.decision)) {
      out.decided_by = self_id_;
      ++decided;
      service::settle_decision(out, calls[i].key, scratch.limit, metrics_, slots[i]);
      continue;
    }
    scratch.client_token = i;
    // The client's deadline, from this host's steady clock to the clock the ClusterNode runs
    // on here (forwards carry what is left of it as a duration, never this instant).
    scratch.deadline =
        calls[i].deadline == 0 ? 0 : clock_.now() + (calls[i].deadline - clock_.monotonic());
    deferred.push_back(scratch);
  }
  inline_.fetch_sub(1);
  if (decided > 0) decided_inline_.fetch_add(decided, std::memory_order_relaxed);

  if (deferred.empty()) {
    done(std::span<const service::CheckOutcome>(outcomes.data(), calls.size()));
    return;
  }
  auto batch = std::make_shared<Batch>();
  batch->done = std::move(done);
  batch->outcomes = outcomes;
  batch->decided_by.resize(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) batch->decided_by[i] = outcomes[i].decided_by;
  batch->user_keys.resize(calls.size());
  batch->limits.resize(calls.size());
  batch->slots = slots;
  for (const cluster::ClientCheck& check : deferred) {
    batch->user_keys[check.client_token].assign(calls[check.client_token].key);
    batch->limits[check.client_token] = check.limit;
  }
  batch->remaining = deferred.size();
  enqueue(std::move(batch), std::move(deferred));
}

void ClusterDecider::enqueue(std::shared_ptr<Batch> batch,
                             std::vector<cluster::ClientCheck> checks) {
  bool wake = false;
  {
    std::lock_guard lock(inbox_mu_);
    inbox_.push_back(Queued{std::move(batch), std::move(checks)});
    wake = !std::exchange(inbox_posted_, true);
  }
  if (wake) asio::post(io_, [this] { take_inbox(); });
}

void ClusterDecider::take_inbox() {
  std::vector<Queued> queued;
  {
    std::lock_guard lock(inbox_mu_);
    queued.swap(inbox_);
    inbox_posted_ = false;
  }
  const TimePoint now = clock_.now();
  for (Queued& q : queued) {
    for (auto& check : q.checks) {
      const uint64_t token = next_token_++;
      slots_.emplace(token, Slot{q.batch, check.client_token});
      check.client_token = token;
      node_->submit(std::move(check), now);
    }
  }
  // What the inbox held arrived together: its forwards leave now, one batch per owner,
  // rather than after flush_delay (a timer and a wake-up more per batch, and at moderate
  // rates the batch would hardly grow meanwhile; under load the inbox itself grows).
  node_->flush(now);
  work_pending_ = true;
  drain();
  schedule();
}

template <typename F>
void ClusterDecider::change_ownership(F&& change) {
  changing_.store(true);
  // Inline decisions take microseconds; new ones see changing_ and go to this thread.
  while (inline_.load() != 0) std::this_thread::yield();
  change();
  ownership_ = node_->ownership();
  published_changes_ = node_->ownership_changes();
  changing_.store(false);
}

void ClusterDecider::republish_if_changed() {
  if (node_->ownership_changes() != published_changes_) change_ownership([] {});
}

void ClusterDecider::set_view(std::vector<ring::Member> alive) {
  asio::post(io_, [this, alive = std::move(alive)]() mutable {
    std::set<std::string> ids;
    for (const auto& m : alive) {
      ids.insert(m.id);
      addresses_[m.id] = m.address;
    }
    // Links to members that left the view stop reconnecting; a member that comes back
    // (possibly restarted) gets a fresh link. Also when a link to it was made while it was out
    // of the view (an answer to one of its last relays, a replica batch shipped again): that
    // link has been failing to connect since, its reconnect backed off to up to a second, and
    // what it queued was meant for the node's previous life. Kept, it would hold the
    // returning node's hand-off chunks that long.
    for (auto it = links_.begin(); it != links_.end();) {
      if (ids.count(it->first) && view_ids_.count(it->first) &&
          it->second.main->address() == addresses_[it->first]) {
        ++it;
      } else {
        it->second.main->close();
        if (it->second.checks) it->second.checks->close();
        it = links_.erase(it);
      }
    }
    view_ids_ = ids;
    spdlog::info("cluster view: {} alive members", alive.size());
    policy_spread_->set_members(std::vector<std::string>(ids.begin(), ids.end()), clock_.now());
    change_ownership([&] { node_->set_view(std::move(alive), clock_.now()); });
    work_pending_ = true;
    drain();
    schedule();
  });
}

void ClusterDecider::render_metrics(service::PrometheusText& t) {
  ClusterSnapshot c;
  if (!snapshot(c, std::chrono::seconds(1), /*count_keys=*/false)) return;
  const cluster::ClusterStats& s = c.stats;
  t.help(
      "drl_cluster_checks_total", "counter",
      "Cluster routing, by kind: forwarded (attempts sent to another node), "
      "decided_as_owner, decided_off_owner (previous owner during a hand-off, 2 hops), "
      "failovers (pending checks sent to a new decider after a view change), retries "
      "(attempts sent again after the retry timeout), hedges (first attempts also sent through a "
      "relay because the link to the decider lost packets lately), answered_again (repeated "
      "attempts "
      "answered from memory, not decided again), "
      "degraded, refused_relays (no view or hand-off pending here), held_for_view (client "
      "checks held for the first view), expired_relays (forwards that came after their "
      "deadline, not decided), late_answers (answers to checks another attempt already "
      "answered), expired_checks (checks given up at their deadline, the client's or a "
      "relay's).");
  const std::pair<const char*, uint64_t> rows[] = {
      {"forwarded", s.forwarded},
      {"decided_as_owner", s.decided_as_owner},
      {"decided_off_owner", s.decided_off_owner},
      {"failovers", s.failovers},
      {"retries", s.retries},
      {"hedges", s.hedges},
      {"answered_again", s.answered_again},
      {"degraded", s.degraded},
      {"refused_relays", s.refused_relays},
      {"held_for_view", s.held_for_view},
      {"expired_relays", s.expired_relays},
      {"late_answers", s.late_answers},
      {"expired_checks", s.expired_checks},
  };
  for (const auto& [kind, n] : rows) t.sample("drl_cluster_checks_total", {{"kind", kind}}, n);
}

void ClusterDecider::accept_peer(asio::ip::tcp::socket socket, net::PeerLane lane) {
  auto moved = net::rehome_socket(std::move(socket), io_);
  if (!moved) return;
  asio::post(io_, [this, lane, sock = std::make_shared<asio::ip::tcp::socket>(std::move(*moved))] {
    server_->accept(std::move(*sock), lane);
  });
}

bool ClusterDecider::snapshot(ClusterSnapshot& out, std::chrono::milliseconds wait,
                              bool count_keys) {
  auto promise = std::make_shared<std::promise<ClusterSnapshot>>();
  auto future = promise->get_future();
  asio::post(io_, [this, promise, count_keys] {
    ClusterSnapshot s;
    s.status = node_->status(clock_.now(), count_keys);
    s.stats = node_->stats();
    s.stats.decided_as_owner += decided_inline_.load(std::memory_order_relaxed);
    promise->set_value(std::move(s));
  });
  if (future.wait_for(wait) != std::future_status::ready) return false;
  out = future.get();
  return true;
}

bool ClusterDecider::on_peer_frame(const std::string& from, std::string_view payload) {
  cluster::PeerMessage message;
  if (auto err = cluster::decode_peer_message(payload, message); !err.empty()) {
    spdlog::warn("peer {}: dropped an unparsable frame: {}", printable(from), err);
    return false;
  }
  if (receive_policy(from, message)) return true;
  node_->receive(from, std::move(message), clock_.now());
  work_pending_ = true;
  drain();
  schedule();
  return true;
}

void ClusterDecider::drain() {
  republish_if_changed();
  for (const auto& result : node_->take_results()) complete(result);
  for (const auto& out : node_->take_outgoing()) send(out.to, out.message);
  drain_policies();
}

void ClusterDecider::complete(const cluster::CheckResult& result) {
  auto it = slots_.find(result.client_token);
  if (it == slots_.end()) return;
  Slot slot = std::move(it->second);
  slots_.erase(it);
  Batch& b = *slot.batch;
  const size_t i = slot.index;
  service::CheckOutcome& out = b.outcomes[i];
  if (!result.error.empty()) {
    out.code = service::CheckCode::kUnavailable;
    out.message = result.error;
    metrics_.count(b.slots[i], service::CheckResultKind::kError);
  } else {
    out.decision = result.decision;
    out.degraded = result.degraded;
    b.decided_by[i] = result.decided_by;
    // The decider's limit when its policy set means another one than this node's.
    const limits::Limit& limit = result.limit ? *result.limit : b.limits[i];
    service::settle_decision(out, b.user_keys[i], limit, metrics_, b.slots[i]);
  }
  if (--b.remaining > 0) return;
  for (size_t k = 0; k < b.outcomes.size(); ++k) b.outcomes[k].decided_by = b.decided_by[k];
  b.done(std::span<const service::CheckOutcome>(b.outcomes));
}

void ClusterDecider::send(const std::string& to, const cluster::PeerMessage& message) {
  auto it = links_.find(to);
  if (it == links_.end()) {
    auto addr = addresses_.find(to);
    if (addr == addresses_.end()) return;  // unknown member: the forward is retried
    PeerLinks made;
    made.main = std::make_shared<net::PeerLink>(io_, hello_, addr->second, peer_options_,
                                                peer_stats_, net::PeerLane::kMain);
    made.checks = std::make_shared<net::PeerLink>(io_, hello_, addr->second, peer_options_,
                                                  peer_stats_, net::PeerLane::kChecks);
    made.checks->open();
    it = links_.emplace(to, std::move(made)).first;
  }
  const bool checks = std::holds_alternative<cluster::CheckBatch>(message) ||
                      std::holds_alternative<cluster::AnswerBatch>(message);
  if (std::holds_alternative<cluster::HandoffChunk>(message) ||
      std::holds_alternative<cluster::HandoffRequest>(message)) {
    // A hand-off relies on order: the checks this node sends the new owner after the last
    // chunk must reach it after that chunk, or it sends them back to be decided here, past
    // the state it was handed. So checks to this peer keep to the main lane for a while.
    in_order_until_[to] = std::chrono::steady_clock::now() + kHandoffInOrder;
  }
  net::PeerLink& link = checks ? lane_for_checks(to, it->second) : *it->second.main;
  link.send(cluster::encode_peer_message(message));
}

net::PeerLink& ClusterDecider::lane_for_checks(const std::string& to, PeerLinks& links) {
  // The check lane once it has stayed up (an older peer closes it at once); on a link that
  // lost packets lately, whichever lane is not recovering a lost segment, so a check does not
  // wait behind one.
  const auto now = std::chrono::steady_clock::now();
  if (auto in_order = in_order_until_.find(to); in_order != in_order_until_.end()) {
    if (in_order->second > now) return *links.main;
    in_order_until_.erase(in_order);
  }
  if (!links.checks->settled(kLaneSettle)) {
    links.checks->open();
    return *links.main;
  }
  if (!link_is_lossy(to, now) || !links.checks->recovering()) return *links.checks;
  return links.main->recovering() ? *links.checks : *links.main;
}

bool ClusterDecider::link_is_lossy(const std::string& to,
                                   std::chrono::steady_clock::time_point now) {
  auto it = lossy_until_.find(to);
  return it != lossy_until_.end() && it->second > now;
}

void ClusterDecider::schedule() {
  // Only a forward batch waiting for its flush (a relay or a retry: client checks leave when
  // the inbox is taken) needs the short timer; answers leave at once, and replication and
  // fail-over run on the ticks: every 1 ms with forwards in flight, else when replication is
  // next due (an idle node wakes 100 times a second, not 200).
  if (work_pending_ && node_->has_unflushed_forwards()) {
    arm(std::chrono::nanoseconds(cluster_options_.flush_delay));
  } else if (node_->in_flight() > 0) {
    arm(kInFlightTick);
  } else {
    const auto due =
        std::chrono::nanoseconds(std::max<Nanos>(node_->next_replication() - clock_.now(), 0));
    arm(std::min<std::chrono::steady_clock::duration>(due, kIdleTick));
  }
}

void ClusterDecider::arm(std::chrono::steady_clock::duration delay) {
  const auto when = std::chrono::steady_clock::now() + delay;
  if (timer_armed_ && when >= armed_at_) return;
  timer_armed_ = true;
  armed_at_ = when;
  timer_.expires_at(when);
  timer_.async_wait([this](std::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    on_timer();
  });
}

void ClusterDecider::on_timer() {
  timer_armed_ = false;
  work_pending_ = false;
  watch_link_loss();
  node_->tick(clock_.now());
  policy_spread_->tick(clock_.now());
  drain();
  schedule();
}

void ClusterDecider::watch_link_loss() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_loss_watch_) return;
  next_loss_watch_ = now + kLossWatchInterval;
  for (const auto& [id, link] : links_) {
    uint32_t fresh = link.main->take_new_retransmits();
    if (link.checks) fresh += link.checks->take_new_retransmits();
    // A link that cannot even connect (a cut, after the unacked timeout broke it) loses
    // everything: it counts as lossy too, or its forwards would wait tau for their relay.
    if (fresh > 0 || !link.main->connected()) {
      node_->note_link_loss(id, clock_.now());
      lossy_until_[id] = now + kLossyHold;
    }
    const bool lossy = link_is_lossy(id, now);
    if (!lossy) lossy_until_.erase(id);
    link.main->set_lossy(lossy);
    if (link.checks) link.checks->set_lossy(lossy);
  }
}

}  // namespace drl::net
