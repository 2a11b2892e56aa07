// Sliding log: exact. One timestamp per admitted unit; an entry stamped s counts while
// now < s + window. Entries are stamped max(now, newest) so the log stays sorted when the
// clock steps back (an entry then expires later, never earlier: never admits more).
#include <algorithm>

#include "limits/algorithms.h"

namespace drl::limits::detail {
namespace {

class SlidingLogAlgorithm final : public RateAlgorithm {
 public:
  Decision decide(const Limit& limit, State&, SlidingLog* log, const Request& req,
                  TimePoint now) const override {
    if (log == nullptr) {  // precondition broken: refuse rather than crash
      Decision d;
      d.limit = limit.limit;
      d.retry_after = kNever;
      return d;
    }
    SlidingLog& entries = *log;
    // Drop what expired: an entry counts while now < stamp + window.
    const auto live = std::upper_bound(entries.begin(), entries.end(), now - limit.window);
    entries.erase(entries.begin(), live);

    Decision d;
    d.limit = limit.limit;
    const uint64_t count = entries.size();
    const TimePoint stamp = entries.empty() ? now : std::max(now, entries.back());
    if (req.refund) {
      d.allowed = true;
      entries.resize(count - std::min<uint64_t>(count, req.cost));
    } else if (req.cost <= limit.limit && count + req.cost <= limit.limit) {
      d.allowed = true;
      entries.insert(entries.end(), req.cost, stamp);
    } else {
      if (req.drain_on_deny && count < limit.limit) {
        entries.insert(entries.end(), limit.limit - count, stamp);
      }
      if (req.cost > limit.limit) {
        d.retry_after = kNever;
      } else {
        // The oldest (size + cost - limit) entries must expire first.
        const uint64_t must_expire = entries.size() + req.cost - limit.limit;
        d.retry_after = entries[must_expire - 1] + limit.window - now;
      }
    }
    const uint64_t used = entries.size();
    d.remaining = used >= limit.limit ? 0 : limit.limit - used;
    d.reset_at = entries.empty() ? now : entries.back() + limit.window;
    return d;
  }

  TimePoint expires_at(const Limit& limit, const State&, const SlidingLog* log) const override {
    return log == nullptr || log->empty() ? 0 : log->back() + limit.window;
  }
};

}  // namespace

const RateAlgorithm& sliding_log() {
  static const SlidingLogAlgorithm instance;
  return instance;
}

}  // namespace drl::limits::detail
