// State changes: the SWIM precedence rules for alive / suspect / dead / left, refutation,
// Lifeguard suspicion timers, push/pull merge and reaping.
#include <algorithm>
#include <cmath>

#include "membership/swim.h"

namespace drl::membership {

void Swim::apply(const Update& u, TimePoint now) {
  if (u.id.empty()) return;
  switch (u.state) {
    case MemberState::kAlive:
      apply_alive(u, now);
      break;
    case MemberState::kSuspect:
      apply_suspect(u, now);
      break;
    case MemberState::kDead:
    case MemberState::kLeft:
      apply_dead(u, now);
      break;
  }
}

void Swim::apply_alive(const Update& u, TimePoint now) {
  if (u.id == self_id_) {
    // Someone knows a newer incarnation of us (we restarted): outbid it. So does one who
    // holds us at another address at our incarnation (we restarted with the same id at a new
    // address, our old entry still alive there): the new address must win everywhere.
    if (u.incarnation > self().incarnation ||
        (u.incarnation == self().incarnation && u.address != self().info.address)) {
      refute(u.incarnation, now);
    }
    return;
  }
  auto it = members_.find(u.id);
  if (it == members_.end()) {
    if (members_.size() >= config_.max_members) return;
    Member m{MemberInfo{u.id, u.address, u.meta}, MemberState::kAlive, u.incarnation, now};
    it = members_.emplace(u.id, std::move(m)).first;
    ++live_count_;
    emit(EventKind::kJoined, it->second, now);
    broadcasts_.enqueue(update_of(it->second));
    return;
  }
  Member& m = it->second;
  if (u.incarnation <= m.incarnation) return;
  const MemberState prev = m.state;
  m.info.address = u.address;
  m.info.meta = u.meta;
  set_state(m, MemberState::kAlive, u.incarnation, now);
  suspicions_.erase(u.id);
  emit(prev == MemberState::kLeft    ? EventKind::kJoined
       : prev == MemberState::kAlive ? EventKind::kUpdated
                                     : EventKind::kAlive,
       m, now);
  broadcasts_.enqueue(update_of(m));
}

void Swim::apply_suspect(const Update& u, TimePoint now) {
  if (u.id == self_id_) {
    if (u.incarnation >= self().incarnation) {
      refute(u.incarnation, now);
      adjust_health(1);  // Lifeguard: being suspected hints that we are the slow one
    }
    return;
  }
  auto it = members_.find(u.id);
  if (it == members_.end() || !it->second.live() || u.incarnation < it->second.incarnation) return;
  Member& m = it->second;
  const std::string from = u.from.empty() ? std::string("?") : u.from;
  if (m.state == MemberState::kSuspect && u.incarnation == m.incarnation) {
    auto s = suspicions_.find(u.id);
    if (s != suspicions_.end() && s->second.confirm(from)) broadcasts_.enqueue(u);
    return;
  }
  set_state(m, MemberState::kSuspect, u.incarnation, now);
  const double n = static_cast<double>(live_count_);
  const auto min = static_cast<Nanos>(config_.suspicion_mult * std::max(1.0, std::log10(n + 1.0)) *
                                      static_cast<double>(config_.probe_interval));
  const auto max = static_cast<Nanos>(config_.suspicion_max_mult * static_cast<double>(min));
  int expected = static_cast<int>(config_.suspicion_mult) - 2;
  if (static_cast<int>(live_count_) - 2 < expected) expected = 0;
  suspicions_.insert_or_assign(u.id, Suspicion(u.incarnation, from, expected, min, max, now));
  if (from != self_id_) probe_soon_.insert(u.id);
  emit(EventKind::kSuspect, m, now, from);
  Update gossip = u;
  gossip.from = from;
  broadcasts_.enqueue(std::move(gossip));
}

void Swim::apply_dead(const Update& u, TimePoint now) {
  if (u.id == self_id_) {
    if (u.incarnation >= self().incarnation) {
      refute(u.incarnation, now);
      adjust_health(1);
    }
    return;
  }
  auto it = members_.find(u.id);
  if (it == members_.end() || !it->second.live() || u.incarnation < it->second.incarnation) return;
  Member& m = it->second;
  set_state(m, u.state, u.incarnation, now);
  suspicions_.erase(u.id);
  emit(u.state == MemberState::kLeft ? EventKind::kLeft : EventKind::kDead, m, now, u.from);
  broadcasts_.enqueue(u);
}

void Swim::refute(Incarnation seen, TimePoint now) {
  Member& me = members_.at(self_id_);
  me.incarnation = std::max(me.incarnation, seen) + 1;
  ++stats_.refutations;
  broadcasts_.enqueue(update_of(me));
}

void Swim::suspect(const std::string& id, TimePoint now) {
  Update u = update_of(members_.at(id), self_id_);
  u.state = MemberState::kSuspect;
  apply_suspect(u, now);
}

void Swim::expire_suspicions(TimePoint now) {
  for (auto it = suspicions_.begin(); it != suspicions_.end();) {
    if (it->second.deadline() > now) {
      ++it;
      continue;
    }
    auto m = members_.find(it->first);
    if (m != members_.end() && m->second.state == MemberState::kSuspect &&
        m->second.incarnation == it->second.incarnation()) {
      set_state(m->second, MemberState::kDead, m->second.incarnation, now);
      ++stats_.declared_dead;
      emit(EventKind::kDead, m->second, now, self_id_);
      broadcasts_.enqueue(update_of(m->second, self_id_));
    }
    it = suspicions_.erase(it);
  }
}

void Swim::merge(const PushPull& pp, TimePoint now) {
  for (Update u : pp.members) {
    // A remote "dead" may be stale (the sender was cut off): only suspect, and let the member
    // refute it; our own timers decide death.
    if (u.state == MemberState::kDead && u.id != self_id_) u.state = MemberState::kSuspect;
    // Confirmations must be independent: a merged suspicion counts as our own, as in
    // memberlist, not as the sender's.
    u.from = self_id_;
    apply(u, now);
  }
}

void Swim::set_state(Member& m, MemberState state, Incarnation inc, TimePoint now) {
  const bool was_live = m.live();
  m.state = state;
  m.incarnation = inc;
  m.state_since = now;
  if (was_live && !m.live()) --live_count_;
  if (!was_live && m.live()) ++live_count_;
}

void Swim::emit(EventKind kind, const Member& m, TimePoint now, std::string by) {
  events_.push_back(MembershipEvent{kind, m, now, std::move(by)});
}

void Swim::reap(TimePoint now) {
  for (auto it = members_.begin(); it != members_.end();) {
    if (!it->second.live() && it->first != self_id_ &&
        now - it->second.state_since >= config_.reap_after) {
      last_heal_sync_.erase(it->first);
      it = members_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace drl::membership
