// The glue between membership and the ring: which members make up the ring view a node
// publishes, and when. SWIM reports members one event at a time (a join's push/pull reports the
// whole cluster as a burst of events), so events are coalesced for a short settle time before
// a view is published; a node started with seeds publishes nothing until it sees another
// member, or until its join wait ends (then it serves as a cluster of one).
//
// A pure core: no clock, no timer. The shell keeps one settle timer: observe() says when to arm
// it, settle_timer_fired() when it fires, publish(true) when the join wait ends. Not
// thread-safe (the node calls it on its control thread; the simulator on its one thread).
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/time.h"
#include "membership/member.h"
#include "ring/ring.h"

namespace drl::cluster {

struct ViewTiming {
  Nanos first_settle = 20 * kMillisecond;  // before the first view
  Nanos settle = 5 * kMillisecond;         // before each later one
};

struct PublishedView {
  std::vector<ring::Member> alive;            // self included, sorted by id
  std::map<std::string, std::string> states;  // id -> "alive" or "suspect", live members seen
};

class ViewPublisher {
 public:
  // `waits_for_seeds`: the node was given seeds to join through (not the founder of a
  // cluster), so its first view waits for another member.
  ViewPublisher(ring::Member self, bool waits_for_seeds, ViewTiming timing = {});

  // Records a member's state after a membership event. Returns the settle time after which
  // the shell calls settle_timer_fired(), when no settle is pending yet; nullopt when one is.
  [[nodiscard]] std::optional<Nanos> observe(const membership::Member& member);
  // The settle timer fired: the view to publish, when it changed.
  [[nodiscard]] std::optional<PublishedView> settle_timer_fired();
  // The view to publish now, when it changed. `force`: publish even a view of one before any
  // other member was seen (the join wait ended).
  [[nodiscard]] std::optional<PublishedView> publish(bool force);

  // Another member is live (alive or suspect).
  bool joined() const;
  // A view was published (the node serves as a member of some cluster).
  bool published() const { return !published_.empty(); }
  const std::vector<ring::Member>& view() const { return published_; }
  // The addresses of the live members other than self (the seed watch's "already joined").
  std::set<std::string> live_addresses() const;

 private:
  ring::Member self_;
  bool waits_for_seeds_;
  ViewTiming timing_;
  std::map<std::string, membership::Member> members_;
  std::vector<ring::Member> published_;
  bool settle_pending_ = false;
};

}  // namespace drl::cluster
