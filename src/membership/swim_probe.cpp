// Probing: direct pings, indirect pings through k members, nacks, gossip to the dead.
#include <algorithm>

#include "membership/swim.h"

namespace drl::membership {

std::optional<std::string> Swim::next_probe_target() {
  // A member we heard suspected is probed next, out of turn: if it is alive its ack carries
  // the refutation straight to us; if not, our failure is an independent confirmation.
  while (!probe_soon_.empty()) {
    std::string id = std::move(probe_soon_.extract(probe_soon_.begin()).value());
    auto it = members_.find(id);
    if (it != members_.end() && it->second.state == MemberState::kSuspect) return id;
  }
  for (int round = 0; round < 2; ++round) {
    while (probe_index_ < probe_order_.size()) {
      const std::string& id = probe_order_[probe_index_++];
      auto it = members_.find(id);
      if (it != members_.end() && it->second.live() && id != self_id_) return id;
    }
    // A new round over a freshly shuffled list: every member is probed once per round.
    probe_order_.clear();
    probe_index_ = 0;
    for (const auto& [id, m] : members_) {
      if (id != self_id_ && m.live()) probe_order_.push_back(id);
    }
    for (size_t i = probe_order_.size(); i > 1; --i) {
      std::swap(probe_order_[i - 1], probe_order_[random_.below(i)]);
    }
  }
  return std::nullopt;
}

void Swim::start_probe(TimePoint now) {
  auto target = next_probe_target();
  if (!target) return;
  const Member& t = members_.at(*target);
  Probe p;
  p.seq = next_seq_++;
  p.target_id = *target;
  p.started = now;
  p.indirect_at = now + scaled(config_.probe_timeout);
  ++stats_.probes;
  send(t.info.address, Ping{p.seq, *target}, now, *target);
  probe_ = std::move(p);
}

void Swim::finish_probe(TimePoint now) {
  if (!probe_) return;
  const Probe p = std::move(*probe_);
  probe_.reset();
  if (p.acked) return;
  auto it = members_.find(p.target_id);
  if (it == members_.end() || !it->second.live()) return;
  ++stats_.probes_failed;
  if (now - p.started > 2 * scaled(config_.probe_interval)) {
    // We were not scheduled on time (a pause): the silence is ours, not the target's.
    adjust_health(1);
    return;
  }
  // Lifeguard: missing nacks mean our own network or process is the likely culprit.
  adjust_health(p.expected_nacks > 0 ? p.expected_nacks - p.nacks : 1);
  ++stats_.suspicions_raised;
  suspect(p.target_id, now);
}

void Swim::send_indirect_probes(TimePoint now) {
  probe_->indirect_sent = true;
  auto target = members_.find(probe_->target_id);
  if (target == members_.end()) return;
  std::vector<const Member*> helpers;
  for (const auto& [id, m] : members_) {
    if (id != self_id_ && id != probe_->target_id && m.state == MemberState::kAlive) {
      helpers.push_back(&m);
    }
  }
  const size_t k =
      std::min(helpers.size(), static_cast<size_t>(std::max(0, config_.indirect_checks)));
  for (size_t i = 0; i < k; ++i) {
    std::swap(helpers[i], helpers[i + random_.below(helpers.size() - i)]);
    send(helpers[i]->info.address,
         PingReq{probe_->seq, probe_->target_id, target->second.info.address}, now);
    ++probe_->expected_nacks;
    ++stats_.indirect_probes;
  }
}

void Swim::gossip_to_the_dead(TimePoint now) {
  std::vector<const Member*> dead;
  for (const auto& [id, m] : members_) {
    if (m.state == MemberState::kDead) dead.push_back(&m);
  }
  if (dead.empty()) return;
  const Member* m = dead[random_.below(dead.size())];
  send(m->info.address, Ping{next_seq_++, m->info.id}, now, m->info.id);
}

void Swim::gossip_round(TimePoint now) {
  if (broadcasts_.size() == 0) return;
  std::vector<const Member*> peers;
  for (const auto& [id, m] : members_) {
    if (id != self_id_ && m.live()) peers.push_back(&m);
  }
  const size_t k = std::min(peers.size(), static_cast<size_t>(std::max(0, config_.gossip_fanout)));
  for (size_t i = 0; i < k && broadcasts_.size() > 0; ++i) {
    std::swap(peers[i], peers[i + random_.below(peers.size() - i)]);
    send(peers[i]->info.address, Gossip{}, now);
  }
}

void Swim::expire_relays(TimePoint now) {
  for (auto it = relays_.begin(); it != relays_.end();) {
    if (it->second.nack_at <= now) {
      send(it->second.requester_address, Nack{it->second.requester_seq}, now);
      it = relays_.erase(it);
    } else {
      ++it;
    }
  }
}

void Swim::handle(const Ping& ping, const Message& m, TimePoint now) {
  if (!ping.target_id.empty() && ping.target_id != self_id_) return;
  // If the prober holds us suspect or dead (the buddy update), answer with our alive state.
  const bool stale_news = std::any_of(m.updates.begin(), m.updates.end(), [&](const Update& u) {
    return u.id == self_id_ && u.state != MemberState::kAlive;
  });
  send(m.sender_address, Ack{ping.seq}, now, {}, stale_news);
}

void Swim::handle(const PingReq& req, const Message& m, TimePoint now) {
  if (req.target_id == self_id_) {
    send(m.sender_address, Ack{req.seq}, now);
    return;
  }
  const uint64_t seq = next_seq_++;
  relays_[seq] = Relay{m.sender_address, req.seq, now + config_.probe_timeout};
  send(req.target_address, Ping{seq, req.target_id}, now, req.target_id);
}

void Swim::handle(const Ack& ack, const Message& m, TimePoint now) {
  if (auto it = relays_.find(ack.seq); it != relays_.end()) {
    send(it->second.requester_address, Ack{it->second.requester_seq}, now);
    relays_.erase(it);
    return;
  }
  if (probe_ && probe_->seq == ack.seq && !probe_->acked) {
    probe_->acked = true;
    adjust_health(-1);
  }
}

void Swim::handle(const Nack& nack, const Message& m, TimePoint now) {
  if (probe_ && probe_->seq == nack.seq) ++probe_->nacks;
}

}  // namespace drl::membership
