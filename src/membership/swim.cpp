#include "membership/swim.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace drl::membership {

std::string_view to_string(MemberState state) {
  switch (state) {
    case MemberState::kAlive:
      return "alive";
    case MemberState::kSuspect:
      return "suspect";
    case MemberState::kDead:
      return "dead";
    case MemberState::kLeft:
      return "left";
  }
  return "unknown";
}

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::kJoined:
      return "joined";
    case EventKind::kSuspect:
      return "suspect";
    case EventKind::kDead:
      return "dead";
    case EventKind::kAlive:
      return "alive";
    case EventKind::kLeft:
      return "left";
    case EventKind::kUpdated:
      return "updated";
  }
  return "unknown";
}

Swim::Swim(Config config, MemberInfo self, Random& random, TimePoint now)
    : config_(config), self_id_(self.id), random_(random) {
  Member me{std::move(self), MemberState::kAlive, 0, now};
  members_.emplace(self_id_, std::move(me));
  // Random phases so that nodes started together do not probe and sync in lock step.
  next_probe_at_ = now + static_cast<Nanos>(random_.below(config_.probe_interval));
  next_push_pull_at_ = now + static_cast<Nanos>(random_.below(config_.push_pull_interval));
  next_dead_gossip_at_ = now + config_.gossip_to_dead_interval;
  next_gossip_at_ = now + static_cast<Nanos>(random_.below(config_.gossip_interval));
}

void Swim::join(std::vector<std::string> seeds, TimePoint now) {
  seeds_.clear();
  for (auto& s : seeds) {
    if (s != self().info.address) seeds_.push_back(std::move(s));
  }
  joined_ = seeds_.empty();
  broadcasts_.enqueue(update_of(self()));
  for (const auto& seed : seeds_) start_push_pull(seed, /*join=*/true, now);
  next_join_at_ = now + config_.join_retry_interval;
}

void Swim::set_seeds(std::vector<std::string> seeds, TimePoint now) {
  if (left_) return;
  seeds_.clear();
  for (auto& s : seeds) {
    if (s != self().info.address) seeds_.push_back(std::move(s));
  }
  for (const auto& seed : seeds_) {
    const bool held = std::any_of(members_.begin(), members_.end(), [&](const auto& entry) {
      return entry.first != self_id_ && entry.second.live() && entry.second.info.address == seed;
    });
    if (!held) start_push_pull(seed, /*join=*/!joined_, now);
  }
}

void Swim::tick(TimePoint now) {
  if (left_) return;
  if (!joined_ && now >= next_join_at_) {
    for (const auto& seed : seeds_) start_push_pull(seed, /*join=*/true, now);
    next_join_at_ = now + config_.join_retry_interval;
  }
  expire_suspicions(now);
  expire_relays(now);
  if (probe_ && !probe_->acked && !probe_->indirect_sent && now >= probe_->indirect_at) {
    send_indirect_probes(now);
  }
  if (now >= next_probe_at_) {
    finish_probe(now);
    start_probe(now);
    next_probe_at_ = now + scaled(config_.probe_interval);
    reap(now);
  }
  if (now >= next_gossip_at_) {
    gossip_round(now);
    next_gossip_at_ = now + config_.gossip_interval;
  }
  if (now >= next_dead_gossip_at_) {
    gossip_to_the_dead(now);
    next_dead_gossip_at_ = now + config_.gossip_to_dead_interval;
  }
  if (now >= next_push_pull_at_) {
    std::vector<const Member*> peers;
    for (const auto& [id, m] : members_) {
      if (id != self_id_ && m.live()) peers.push_back(&m);
    }
    if (!peers.empty()) {
      start_push_pull(peers[random_.below(peers.size())]->info.address, false, now);
    } else if (!seeds_.empty()) {
      // Alone: perhaps everyone else was declared dead while we were cut off. Ask a seed.
      start_push_pull(seeds_[random_.below(seeds_.size())], false, now);
    }
    next_push_pull_at_ = now + config_.push_pull_interval;
  }
}

void Swim::receive(const Message& m, TimePoint now) {
  if (left_ || m.sender_id == self_id_) return;
  if (auto it = members_.find(m.sender_id);
      it != members_.end() && it->second.state == MemberState::kDead) {
    // A member we hold dead talks to us: a healed partition or a restart. Sync at once.
    auto& last = last_heal_sync_[m.sender_id];
    if (last == 0 || now - last >= config_.heal_sync_min_gap) {
      last = now;
      start_push_pull(m.sender_address, false, now);
    }
  }
  for (const auto& u : m.updates) apply(u, now);
  std::visit([&](const auto& body) { handle(body, m, now); }, m.body);
}

std::optional<Message> Swim::answer_sync(const Message& request, TimePoint now) {
  const auto* pp = std::get_if<PushPull>(&request.body);
  if (left_ || pp == nullptr || pp->reply) return std::nullopt;
  merge(*pp, now);
  Message reply{self_id_, self().info.address, local_state(false, true), {}};
  return reply;
}

void Swim::handle(const PushPull& pp, const Message& m, TimePoint now) {
  if (!pp.reply) return;  // requests arrive through answer_sync()
  merge(pp, now);
  joined_ = true;
}

void Swim::leave(TimePoint now) {
  if (left_) return;
  Member& me = members_.at(self_id_);
  set_state(me, MemberState::kLeft, me.incarnation + 1, now);
  const Update bye = update_of(me, self_id_);
  for (const auto& [id, m] : members_) {
    if (id == self_id_ || !m.live()) continue;
    outbox_.push_back(
        {m.info.address, Message{self_id_, me.info.address, Gossip{}, {bye}}, Transport::kUdp});
  }
  left_ = true;
  probe_.reset();
}

void Swim::set_tags(std::map<std::string, std::string> tags, TimePoint now) {
  Member& me = members_.at(self_id_);
  me.info.meta.tags = std::move(tags);
  me.incarnation += 1;
  broadcasts_.enqueue(update_of(me));
}

std::vector<Outgoing> Swim::take_outbox() { return std::exchange(outbox_, {}); }
std::vector<MembershipEvent> Swim::take_events() { return std::exchange(events_, {}); }

const Member* Swim::find(std::string_view id) const {
  auto it = members_.find(id);
  return it == members_.end() ? nullptr : &it->second;
}

std::vector<Member> Swim::members() const {
  std::vector<Member> out;
  out.reserve(members_.size());
  for (const auto& [id, m] : members_) out.push_back(m);
  return out;
}

std::vector<Member> Swim::alive_members() const {
  std::vector<Member> out;
  for (const auto& [id, m] : members_) {
    if (m.live()) out.push_back(m);
  }
  return out;
}

int Swim::transmit_limit() const {
  const double n = static_cast<double>(live_count_);
  return config_.retransmit_mult * static_cast<int>(std::max(1.0, std::ceil(std::log10(n + 1.0))));
}

void Swim::adjust_health(int delta) {
  health_ = std::clamp(health_ + delta, 0, config_.max_health - 1);
}

void Swim::send(const std::string& to, Body body, TimePoint now, std::string_view buddy_id,
                bool with_self) {
  const size_t budget = config_.max_packet_bytes > config_.packet_overhead_bytes
                            ? config_.max_packet_bytes - config_.packet_overhead_bytes
                            : 0;
  std::vector<Update> updates;
  size_t used = 0;
  if (with_self) {
    updates.push_back(update_of(self()));
    used = estimated_size(updates.back());
  }
  if (auto it = members_.find(buddy_id);
      !buddy_id.empty() && it != members_.end() && it->second.state != MemberState::kAlive) {
    // Lifeguard's buddy system: the suspected (or presumed dead) member hears it first.
    updates.push_back(update_of(it->second, self_id_));
    used += estimated_size(updates.back());
  }
  auto gossip = broadcasts_.take(used < budget ? budget - used : 0, transmit_limit());
  for (auto& u : gossip) {
    if (std::none_of(updates.begin(), updates.end(),
                     [&](const Update& x) { return x.id == u.id; })) {
      updates.push_back(std::move(u));
    }
  }
  Message m{self_id_, self().info.address, std::move(body), std::move(updates)};
  outbox_.push_back({to, std::move(m), Transport::kUdp});
}

void Swim::start_push_pull(const std::string& to, bool join, TimePoint now) {
  ++stats_.push_pulls;
  outbox_.push_back({to, Message{self_id_, self().info.address, local_state(join, false), {}},
                     Transport::kTcpSync});
}

PushPull Swim::local_state(bool join, bool reply) const {
  PushPull pp{join, reply, {}};
  pp.members.reserve(members_.size());
  for (const auto& [id, m] : members_) pp.members.push_back(update_of(m));
  return pp;
}

Update Swim::update_of(const Member& m, std::string from) const {
  return Update{m.info.id, m.info.address, m.state, m.incarnation, m.info.meta, std::move(from)};
}

}  // namespace drl::membership
