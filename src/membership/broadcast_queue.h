// Updates waiting to be piggy-backed, least-transmitted (then newest) first. One entry per
// member: a newer update about a member replaces the queued one. Owned by one Swim; not
// thread-safe.
#pragma once
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "membership/message.h"

namespace drl::membership {

// Conservative estimate of an update's encoded size, used to fill a datagram.
size_t estimated_size(const Update& update);

class BroadcastQueue {
 public:
  void enqueue(Update update);
  // Takes updates that fit in budget_bytes. `first_id`, if queued, goes first (Lifeguard's
  // buddy system: the suspected node hears of its suspicion on the probe sent to it). Each
  // taken update counts one transmission; it leaves the queue after transmit_limit of them.
  std::vector<Update> take(size_t budget_bytes, int transmit_limit, std::string_view first_id = {});
  const Update* find(std::string_view member_id) const;
  size_t size() const { return entries_.size(); }

 private:
  using Key = std::tuple<int, uint64_t, std::string>;  // transmits, age (newest first), id
  struct Entry {
    Update update;
    int transmits = 0;
    uint64_t age = 0;
  };
  Key key_of(const std::string& id, const Entry& e) const { return {e.transmits, e.age, id}; }

  std::map<std::string, Entry, std::less<>> entries_;
  std::set<Key> order_;
  uint64_t next_age_ = UINT64_MAX;  // decreasing, so newer entries sort first
};

}  // namespace drl::membership
