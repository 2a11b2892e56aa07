#include "cluster/support/sim_cluster.h"

#include <algorithm>
#include <sstream>

#include "cluster/inline_decision.h"
#include "common/key_hash.h"

namespace drl::cluster::sim {
namespace {

constexpr TimePoint kStart = 1'000'000 * kSecond;  // a round wall-clock time

std::string node_id(size_t i) { return "n" + std::to_string(i); }

}  // namespace

SimCluster::SimCluster(SimOptions options)
    : options_(options), random_(options.seed), now_(kStart) {
  for (size_t i = 0; i < options_.nodes; ++i) {
    slots_.push_back(Slot{{node_id(i), "10.0.0." + std::to_string(i) + ":7946"}, {}, {}, 0});
  }
  for (size_t i = 0; i < slots_.size(); ++i) start_node(i);
  // A fresh cluster: everyone knows everyone from the start.
  for (size_t i = 0; i < slots_.size(); ++i) slots_[i].node->set_view(view_for(i), local_now(i));
}

TimePoint SimCluster::local_now(size_t i) const {
  auto it = clocks_.find(i);
  if (it == clocks_.end()) return now_;
  const auto [offset, drift_ppm] = it->second;
  return now_ + offset + static_cast<Nanos>(static_cast<double>(now_ - kStart) * drift_ppm / 1e6);
}

SimCluster::~SimCluster() = default;

std::string SimCluster::describe_seed() const {
  return "seed " + std::to_string(options_.seed) +
         " (replay with DRL_SEED=" + std::to_string(options_.seed) + ")";
}

void SimCluster::start_node(size_t i) {
  Slot& s = slots_[i];
  const auto custom = options_.stores.find(i);
  s.store = std::make_unique<store::Store>(
      custom != options_.stores.end() ? custom->second : store::StoreOptions{.shards = 4});
  ++s.incarnation;
  ClusterOptions cluster = options_.cluster;
  cluster.id_base = s.incarnation << 40;  // a restarted node's ids are new to its peers
  s.node = std::make_unique<ClusterNode>(s.member, *s.store, cluster);
  s.decided_inline = 0;
  rebuild_truth();
}

void SimCluster::rebuild_truth() {
  std::vector<ring::Member> alive;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].node && !stalled_.contains(i)) alive.push_back(slots_[i].member);
  }
  truth_ = ring::Ring(std::move(alive), options_.cluster.vnodes);
}

size_t SimCluster::owner_of(const std::string& key) const {
  const std::string& id = truth_.member(truth_.owner(key_hash(key))).id;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].member.id == id) return i;
  }
  return 0;
}

bool SimCluster::reachable(size_t a, size_t b) const {
  if (groups_.empty()) return true;
  for (const auto& g : groups_) {
    if (g.contains(a)) return g.contains(b);
  }
  return false;  // a node in no group is cut off from everyone
}

std::vector<ring::Member> SimCluster::view_for(size_t i) const {
  std::vector<ring::Member> view;
  for (size_t j = 0; j < slots_.size(); ++j) {
    if (slots_[j].node && !stalled_.contains(j) && reachable(i, j)) {
      view.push_back(slots_[j].member);
    }
  }
  return view;
}

void SimCluster::give_view(size_t i, std::vector<ring::Member> view) {
  if (!slots_[i].node || stalled_.contains(i)) return;
  slots_[i].node->set_view(std::move(view), local_now(i));
  drain(i);
}

void SimCluster::schedule_views() {
  if (options_.external_views) return;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i].node || stalled_.contains(i)) continue;
    views_[{now_ + options_.view_lag, seq_++}] = {i, view_for(i)};
  }
}

void SimCluster::crash(size_t i) {
  stalled_.erase(i);
  held_.erase(i);
  slots_[i].node.reset();
  slots_[i].store.reset();
  rebuild_truth();
  for (auto it = asks_.begin(); it != asks_.end();) {
    it = it->second.node == i ? asks_.erase(it) : std::next(it);  // its clients lose the answer
  }
  schedule_views();
}

void SimCluster::restart(size_t i) {
  start_node(i);
  schedule_views();
  if (options_.external_views) return;  // its view comes from its view publisher
  if (options_.joiner_view_lag > 0) {
    for (auto it = views_.begin(); it != views_.end();) {
      it = it->second.first == i ? views_.erase(it) : std::next(it);
    }
    views_[{now_ + options_.joiner_view_lag, seq_++}] = {i, view_for(i)};
  } else {
    slots_[i].node->set_view(view_for(i), local_now(i));  // it learns the members when it joins
  }
}

size_t SimCluster::join() {
  const size_t i = slots_.size();
  slots_.push_back(Slot{{node_id(i), "10.0.0." + std::to_string(i) + ":7946"}, {}, {}, 0});
  restart(i);
  return i;
}

void SimCluster::partition(std::vector<std::set<size_t>> groups) {
  groups_ = std::move(groups);
  schedule_views();
}

void SimCluster::heal() {
  groups_.clear();
  schedule_views();
}

uint64_t SimCluster::ask(size_t node, std::string key, const limits::Limit& limit,
                         DegradeMode degrade, limits::Request request) {
  if (!slots_[node].node || stalled_.contains(node)) return 0;
  const uint64_t token = next_token_++;
  asks_[token] = PendingAsk{node, key, now_};
  ClientCheck check;
  check.client_token = token;
  check.key = std::move(key);
  check.limit = limit;
  check.request = request;
  check.degrade = degrade;
  Slot& slot = slots_[node];
  CheckResult result;
  if (options_.inline_owned &&
      decide_inline(slot.node->ownership(), *slot.store, check.key, check.limit, check.request,
                    local_now(node), store::memory_rule(check.memory_full, check.degrade),
                    result.decision)) {
    result.client_token = token;
    result.decided_by = slot.member.id;
    ++slot.decided_inline;
    asks_.erase(token);
    observed_.push_back({node, check.key, now_, now_, std::move(result)});
    check_invariants();
    return token;
  }
  slot.node->submit(std::move(check), local_now(node));
  drain(node);
  return token;
}

void SimCluster::drain(size_t i) {
  ClusterNode& n = *slots_[i].node;
  for (CheckResult& r : n.take_results()) {
    auto it = asks_.find(r.client_token);
    if (it == asks_.end()) continue;
    observed_.push_back({i, it->second.key, it->second.asked_at, now_, std::move(r)});
    asks_.erase(it);
  }
  for (Outgoing& out : n.take_outgoing()) {
    size_t to = slots_.size();
    for (size_t j = 0; j < slots_.size(); ++j) {
      if (slots_[j].member.id == out.to) to = j;
    }
    if (to == slots_.size() || to == i) {
      violations_.push_back("t=" + std::to_string(now_) + " " + id(i) + " sent to " + out.to);
      continue;
    }
    if (!reachable(i, to) || cuts_.contains({i, to}) || random_.unit() < options_.loss) {
      ++dropped_;
      continue;
    }
    const size_t copies = message_fault_ ? message_fault_(i, to, out.message) : 1;
    if (copies == 0) ++dropped_;
    for (size_t c = 1; c < copies; ++c) {
      TimePoint& clock = link_clock_[{i, to}];
      clock = std::max(clock, now_ + options_.min_delay);
      in_flight_[{clock, seq_++}] = Message{i, to, slots_[to].incarnation, out.message};
    }
    if (copies == 0) continue;
    Nanos delay = options_.min_delay + static_cast<Nanos>(random_.below(static_cast<uint64_t>(
                                           options_.max_delay - options_.min_delay + 1)));
    // Each lost transmission costs a retransmission timeout, doubled for the next one. What
    // a node sends one peer within a step leaves in one segment and shares its fate.
    if (options_.retransmit_loss > 0) {
      auto& [segment_step, segment_delay] = segments_[{i, to}];
      if (segment_step != steps_ + 1) {
        segment_step = steps_ + 1;
        segment_delay = 0;
        for (Nanos rto = options_.rto_min; random_.unit() < options_.retransmit_loss; rto *= 2) {
          segment_delay += rto;
          ++retransmissions_;
        }
      }
      delay += segment_delay;
    }
    if (auto slow = slow_.find(to); slow != slow_.end()) delay += slow->second;
    const auto slow_link = slow_links_.find({i, to});
    if (slow_link != slow_links_.end()) delay += slow_link->second;
    TimePoint& clock = link_clock_[{i, to}];
    clock = std::max(clock, now_ + delay);
    if (slow_link != slow_links_.end()) slowed_until_ = std::max(slowed_until_, clock);
    in_flight_[{clock, seq_++}] = Message{i, to, slots_[to].incarnation, std::move(out.message)};
  }
}

void SimCluster::run(Nanos duration, const Load* load) {
  const TimePoint end = now_ + duration;
  while (now_ < end) step(load);
}

void SimCluster::step(const Load* load) {
  now_ += options_.step;
  while (!views_.empty() && views_.begin()->first.first <= now_) {
    auto [i, view] = std::move(views_.begin()->second);
    views_.erase(views_.begin());
    if (slots_[i].node && !stalled_.contains(i)) {
      slots_[i].node->set_view(std::move(view), local_now(i));
      drain(i);
    }
  }
  while (!in_flight_.empty() && in_flight_.begin()->first.first <= now_) {
    Message m = std::move(in_flight_.begin()->second);
    in_flight_.erase(in_flight_.begin());
    Slot& to = slots_[m.to];
    if (!to.node || to.incarnation != m.to_incarnation || !reachable(m.from, m.to) ||
        cuts_.contains({m.from, m.to})) {
      ++dropped_;
      continue;
    }
    if (stalled_.contains(m.to)) {
      held_[m.to].push_back(std::move(m));
      continue;
    }
    const size_t from = m.from;
    to.node->receive(slots_[from].member.id, std::move(m.message), local_now(m.to));
    drain(m.to);
    if (delivery_probe_) delivery_probe_(from, m.to);
  }
  ++steps_;
  if (load && !load->keys.empty() && steps_ % std::max<size_t>(1, load->every_steps) == 0) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      for (size_t k = 0; k < load->per_step && slots_[i].node && !stalled_.contains(i); ++k) {
        ask(i, load->keys[random_.below(load->keys.size())], load->limit, load->degrade);
      }
    }
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i].node || stalled_.contains(i)) continue;
    slots_[i].node->tick(local_now(i));
    drain(i);
  }
  check_invariants();
}

void SimCluster::stall(size_t i) {
  if (!slots_[i].node || !stalled_.insert(i).second) return;
  rebuild_truth();
  schedule_views();
}

void SimCluster::resume(size_t i) {
  if (!stalled_.erase(i)) return;
  rebuild_truth();
  // What reached it meanwhile is read first, in the order it arrived.
  for (Message& m : held_[i]) in_flight_[{now_, seq_++}] = std::move(m);
  held_.erase(i);
  schedule_views();
}

uint64_t SimCluster::decisions() const {
  uint64_t n = 0;
  for (const Slot& s : slots_) {
    if (!s.node) continue;
    const ClusterStats& st = s.node->stats();
    n += st.decided_as_owner + st.decided_off_owner + st.degraded + s.decided_inline;
  }
  return n;
}

uint64_t SimCluster::decided_inline() const {
  uint64_t n = 0;
  for (const Slot& s : slots_) {
    if (s.node) n += s.decided_inline;
  }
  return n;
}

std::map<std::pair<std::string, TimePoint>, uint64_t> SimCluster::admissions() const {
  std::map<std::pair<std::string, TimePoint>, uint64_t> out;
  for (const Observed& o : observed_) {
    if (o.result.decision.allowed && !o.result.degraded && o.result.error.empty()) {
      ++out[{o.key, o.result.decision.reset_at}];
    }
  }
  return out;
}

void SimCluster::check_invariants() {
  // A stable view: every alive node has the same ring, covering all alive nodes, with no
  // hand-off pending and no partition. Checks asked once it has settled (in-flight work from
  // before is done) must be decided by the key's owner, in at most one hop.
  uint64_t epoch = 0;
  bool stable = groups_.empty() && views_.empty();
  for (const Slot& s : slots_) {
    if (!s.node) continue;
    if (s.node->handoff_pending()) stable = false;
    if (epoch == 0) epoch = s.node->ring().epoch();
    if (s.node->ring().epoch() != epoch) stable = false;
  }
  const ring::Ring& truth = truth_;
  if (truth.epoch() != epoch) stable = false;
  if (!stable || epoch != stable_epoch_) {
    stable_since_ = now_;
    stable_epoch_ = stable ? epoch : 0;
  }
  const TimePoint settled = stable_since_ + options_.cluster.failover_timeout +
                            options_.cluster.replication_interval + 2 * options_.max_delay;
  for (; checked_ < observed_.size(); ++checked_) {
    const Observed& o = observed_[checked_];
    std::ostringstream problem;
    if (o.result.hops > 2) problem << "travelled " << o.result.hops << " hops";
    if (stable && o.asked_at >= settled && o.result.error.empty()) {
      // Lost, delayed or cut messages cost retries, never another decider.
      const std::string& owner = truth.member(truth.owner(key_hash(o.key))).id;
      if (o.result.decided_by != owner)
        problem << "decided by " << o.result.decided_by << ", owner " << owner;
      if (o.result.degraded) problem << "degraded in a stable view";
      const bool clean_network = options_.loss == 0 && options_.retransmit_loss == 0 &&
                                 cuts_.empty() && slow_links_.empty() && o.asked_at > slowed_until_;
      if (clean_network && o.result.hops > 1) problem << o.result.hops << " hops in a stable view";
    }
    if (!problem.str().empty()) {
      violations_.push_back("t=" + std::to_string(o.answered_at - kStart) + "ns key " + o.key +
                            " asked at " + id(o.node) + ": " + problem.str());
    }
  }
}

}  // namespace drl::cluster::sim
