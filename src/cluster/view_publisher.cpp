#include "cluster/view_publisher.h"

#include <algorithm>
#include <utility>

namespace drl::cluster {

ViewPublisher::ViewPublisher(ring::Member self, bool waits_for_seeds, ViewTiming timing)
    : self_(std::move(self)), waits_for_seeds_(waits_for_seeds), timing_(timing) {}

std::optional<Nanos> ViewPublisher::observe(const membership::Member& member) {
  members_[member.info.id] = member;
  if (settle_pending_) return std::nullopt;
  settle_pending_ = true;
  return published_.empty() ? timing_.first_settle : timing_.settle;
}

std::optional<PublishedView> ViewPublisher::settle_timer_fired() {
  settle_pending_ = false;
  return publish(false);
}

std::optional<PublishedView> ViewPublisher::publish(bool force) {
  std::vector<ring::Member> alive{self_};
  for (const auto& [id, m] : members_) {
    if (id != self_.id && m.live()) alive.push_back(ring::Member{id, m.info.address});
  }
  // Before its first view a joining node waits to see the cluster it joins.
  if (published_.empty() && waits_for_seeds_ && alive.size() == 1 && !force) return std::nullopt;
  std::sort(alive.begin(), alive.end(),
            [](const ring::Member& a, const ring::Member& b) { return a.id < b.id; });
  if (alive == published_) return std::nullopt;
  published_ = alive;
  PublishedView view;
  view.alive = std::move(alive);
  for (const auto& [id, m] : members_) {
    if (m.live()) view.states[id] = std::string(membership::to_string(m.state));
  }
  return view;
}

bool ViewPublisher::joined() const {
  return std::any_of(members_.begin(), members_.end(),
                     [this](const auto& e) { return e.first != self_.id && e.second.live(); });
}

std::set<std::string> ViewPublisher::live_addresses() const {
  std::set<std::string> live;
  for (const auto& [id, m] : members_) {
    if (id != self_.id && m.live()) live.insert(m.info.address);
  }
  return live;
}

}  // namespace drl::cluster
