#include "membership/broadcast_queue.h"

namespace drl::membership {

size_t estimated_size(const Update& u) {
  size_t n = u.id.size() + u.address.size() + u.from.size() + 32;
  for (const auto& [k, v] : u.meta.tags) n += k.size() + v.size() + 8;
  return n;
}

void BroadcastQueue::enqueue(Update update) {
  std::string id = update.id;
  if (auto it = entries_.find(id); it != entries_.end()) {
    order_.erase(key_of(id, it->second));
    entries_.erase(it);
  }
  Entry e{std::move(update), 0, next_age_--};
  order_.insert(key_of(id, e));
  entries_.emplace(std::move(id), std::move(e));
}

const Update* BroadcastQueue::find(std::string_view member_id) const {
  auto it = entries_.find(member_id);
  return it == entries_.end() ? nullptr : &it->second.update;
}

std::vector<Update> BroadcastQueue::take(size_t budget_bytes, int transmit_limit,
                                         std::string_view first_id) {
  std::vector<std::string> chosen;
  size_t used = 0;
  auto consider = [&](const std::string& id) {
    const size_t size = estimated_size(entries_.find(id)->second.update);
    if (used + size > budget_bytes) return;
    used += size;
    chosen.push_back(id);
  };
  if (!first_id.empty() && entries_.count(first_id)) consider(std::string(first_id));
  for (const auto& key : order_) {
    if (used + 32 > budget_bytes) break;
    const std::string& id = std::get<2>(key);
    if (!first_id.empty() && id == first_id) continue;
    consider(id);
  }
  std::vector<Update> out;
  out.reserve(chosen.size());
  for (const auto& id : chosen) {
    auto it = entries_.find(id);
    order_.erase(key_of(id, it->second));
    out.push_back(it->second.update);
    if (++it->second.transmits >= transmit_limit) {
      entries_.erase(it);
    } else {
      order_.insert(key_of(id, it->second));
    }
  }
  return out;
}

}  // namespace drl::membership
