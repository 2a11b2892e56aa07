#include "membership/support/sim_cluster.h"

#include <cstdlib>
#include <string>

namespace drl::membership::sim {

uint64_t test_seed(uint64_t fallback) {
  const char* env = std::getenv("DRL_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
}

bool sanitizer_build() { return std::getenv("DRL_SANITIZER_BUILD") != nullptr; }

namespace {
constexpr TimePoint kEpoch = 1'700'000'000 * kSecond;  // simulated time starts here
}  // namespace

SimCluster::SimCluster(SimOptions options)
    : options_(std::move(options)),
      net_random_(options_.seed),
      now_(kEpoch),
      next_tick_(kEpoch),
      nodes_(static_cast<size_t>(options_.nodes)) {
  for (int i = 0; i < size(); ++i) by_address_[address(i)] = i;
  if (options_.through_codec) codec_ = std::make_unique<GossipCodec>(options_.sealer);
}

std::string SimCluster::id(int i) const { return "node-" + std::to_string(i); }
std::string SimCluster::address(int i) const { return "10.0.0." + std::to_string(i) + ":7000"; }

void SimCluster::boot(int i, std::vector<std::string> seeds) {
  Node& n = nodes_[static_cast<size_t>(i)];
  n.random = std::make_unique<Random>(options_.seed * 1'000'003 + static_cast<uint64_t>(i) * 7919 +
                                      static_cast<uint64_t>(n.generation));
  n.swim =
      std::make_unique<Swim>(options_.config, MemberInfo{id(i), address(i), {}}, *n.random, now_);
  n.up = true;
  n.paused = false;
  n.pending.clear();
  n.swim->join(std::move(seeds), now_);
  drain(i);
}

void SimCluster::start_all() {
  boot(0, {});
  for (int i = 1; i < size(); ++i) boot(i, {address(0)});
}

void SimCluster::crash(int i) {
  nodes_[static_cast<size_t>(i)].up = false;
  nodes_[static_cast<size_t>(i)].pending.clear();
}

void SimCluster::restart(int i) {
  Node& n = nodes_[static_cast<size_t>(i)];
  ++n.generation;
  std::vector<std::string> seeds;
  for (int j = 0; j < size() && seeds.size() < 3; ++j) {
    if (j != i) seeds.push_back(address(j));
  }
  boot(i, std::move(seeds));
}

void SimCluster::pause(int i) { nodes_[static_cast<size_t>(i)].paused = true; }

void SimCluster::resume(int i) {
  Node& n = nodes_[static_cast<size_t>(i)];
  n.paused = false;
  auto pending = std::move(n.pending);
  n.pending.clear();
  for (auto& d : pending) process(std::move(d));
}

void SimCluster::partition(const std::set<int>& side) { partition_ = side; }
void SimCluster::heal() { partition_.reset(); }
void SimCluster::set_link(int from, int to, LinkFault fault) { links_[{from, to}] = fault; }

bool SimCluster::blocked(int from, int to) const {
  return partition_ && (partition_->count(from) != partition_->count(to));
}

const LinkFault& SimCluster::link(int from, int to) const {
  auto it = links_.find({from, to});
  return it == links_.end() ? options_.link : it->second;
}

Message SimCluster::through_codec(const Message& m, Transport t) {
  const size_t max = t == Transport::kUdp ? options_.config.max_packet_bytes : (1u << 20);
  auto decoded = codec_->decode(codec_->encode(m, max), max);
  return decoded.message ? std::move(*decoded.message) : Message{};
}

void SimCluster::drain(int i) {
  Node& n = nodes_[static_cast<size_t>(i)];
  for (auto& out : n.swim->take_outbox()) {
    auto dest = by_address_.find(out.to);
    if (dest == by_address_.end() || !n.up) continue;
    const int to = dest->second;
    const bool sync = out.transport == Transport::kTcpSync;
    if (!sync) ++sent_;
    if (blocked(i, to)) {
      if (!sync) ++lost_;
      continue;
    }
    const LinkFault& f = link(i, to);
    if (!sync && f.loss > 0 && net_random_.unit() < f.loss) {
      ++lost_;
      continue;
    }
    const Nanos span = f.max_delay - f.min_delay;
    const Nanos delay =
        f.min_delay +
        (span > 0 ? static_cast<Nanos>(net_random_.below(static_cast<uint64_t>(span))) : 0);
    Message m = codec_ ? through_codec(out.message, out.transport) : std::move(out.message);
    // Swim sends only push/pull requests over the sync channel; replies come back below.
    in_flight_.emplace(std::make_pair(now_ + delay, next_delivery_++),
                       Delivery{to, i, std::move(m), sync});
  }
  for (auto& e : n.swim->take_events()) {
    if (observer_) observer_(i, e);
  }
}

void SimCluster::deliver(Delivery d) {
  Node& n = nodes_[static_cast<size_t>(d.to)];
  if (!n.up) return;
  if (n.paused) {
    n.pending.push_back(std::move(d));
    return;
  }
  process(std::move(d));
}

void SimCluster::process(Delivery d) {
  Node& n = nodes_[static_cast<size_t>(d.to)];
  if (!n.up) return;
  if (d.sync_request) {
    auto reply = n.swim->answer_sync(d.message, now_);
    drain(d.to);
    if (reply && !blocked(d.to, d.from) && nodes_[static_cast<size_t>(d.from)].up) {
      const LinkFault& f = link(d.to, d.from);
      Message m = codec_ ? through_codec(*reply, Transport::kTcpSync) : std::move(*reply);
      in_flight_.emplace(std::make_pair(now_ + f.max_delay, next_delivery_++),
                         Delivery{d.from, d.to, std::move(m), false});
    }
    return;
  }
  n.swim->receive(d.message, now_);
  drain(d.to);
}

void SimCluster::run_for(Nanos d) {
  run_until([] { return false; }, d);
}

bool SimCluster::run_until(const std::function<bool()>& pred, Nanos limit) {
  const TimePoint end = now_ + limit;
  if (pred()) return true;
  while (true) {
    auto first = in_flight_.begin();
    if (first != in_flight_.end() && first->first.first <= next_tick_ &&
        first->first.first <= end) {
      now_ = first->first.first;
      Delivery d = std::move(first->second);
      in_flight_.erase(first);
      deliver(std::move(d));
      continue;
    }
    if (next_tick_ > end) break;
    now_ = next_tick_;
    for (int i = 0; i < size(); ++i) {
      Node& n = nodes_[static_cast<size_t>(i)];
      if (!n.up || n.paused || !n.swim) continue;
      n.swim->tick(now_);
      drain(i);
    }
    next_tick_ += options_.tick;
    if (pred()) return true;
  }
  now_ = end;
  return pred();
}

bool SimCluster::sees_live(int observer, int subject) const {
  const Member* m = nodes_[static_cast<size_t>(observer)].swim->find(id(subject));
  return m != nullptr && m->live();
}

bool SimCluster::all_agree() const {
  for (int i = 0; i < size(); ++i) {
    if (!up(i)) continue;
    for (int j = 0; j < size(); ++j) {
      if (sees_live(i, j) != up(j)) return false;
    }
  }
  return true;
}

}  // namespace drl::membership::sim
