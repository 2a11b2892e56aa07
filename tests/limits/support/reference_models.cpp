#include "limits/support/reference_models.h"

#include <algorithm>

namespace drl::limits::testing {
namespace {

__extension__ typedef __int128 Big;

Big ceil_div(Big a, Big b) {  // b > 0
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}
Big floor_div(Big a, Big b) {  // b > 0
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// Token bucket as a token count. Tokens are kept scaled by the window (units of 1/window
// token) so refill, (now - last) x limit, is an exact integer.
class TokenModel final : public ReferenceModel {
 public:
  explicit TokenModel(const Limit& l)
      : rate_(l.limit), window_(l.window), capacity_(l.burst == 0 ? l.limit : l.burst) {
    reset();
  }
  void reset() override {
    tokens_ = static_cast<Big>(capacity_) * window_;
    last_ = 0;
  }
  Decision decide(const Request& req, TimePoint now) override {
    const Big full = static_cast<Big>(capacity_) * window_;
    const Big unit = window_;
    // Tokens now: refill since last, capped; a clock step back un-refills (no clamp).
    Big tokens = std::min(full, tokens_ + static_cast<Big>(now - last_) * rate_);
    Decision d;
    d.limit = capacity_;
    auto write = [&](Big t) {
      tokens = t;
      tokens_ = t;
      last_ = now;
    };
    if (req.refund) {
      d.allowed = true;
      if (req.cost > 0 && tokens < full) {
        write(std::min(full, tokens + static_cast<Big>(std::min(req.cost, capacity_)) * unit));
      }
    } else if (req.cost <= capacity_ && tokens >= static_cast<Big>(req.cost) * unit) {
      d.allowed = true;
      if (req.cost > 0) write(tokens - static_cast<Big>(req.cost) * unit);
    } else {
      if (req.drain_on_deny && tokens > 0) write(0);
      d.retry_after =
          req.cost > capacity_
              ? kNever
              : static_cast<Nanos>(ceil_div(static_cast<Big>(req.cost) * unit - tokens, rate_));
    }
    d.remaining = tokens <= 0 ? 0 : static_cast<uint64_t>(tokens / unit);
    d.reset_at = now + static_cast<Nanos>(ceil_div(full - tokens, rate_));
    return d;
  }

 private:
  uint64_t rate_;
  Nanos window_;
  uint64_t capacity_;
  Big tokens_;
  TimePoint last_;
};

// Leaky bucket as a queue of units leaving at limit per window, scaled by the window. Up to
// burst units wait behind the one leaving now.
class QueueModel final : public ReferenceModel {
 public:
  explicit QueueModel(const Limit& l) : rate_(l.limit), window_(l.window), burst_(l.burst) {
    reset();
  }
  void reset() override {
    queued_ = 0;
    last_ = 0;
  }
  Decision decide(const Request& req, TimePoint now) override {
    const Big unit = window_;
    const Big room_total = static_cast<Big>(burst_ + 1) * unit;
    Big queued = std::max<Big>(0, queued_ - static_cast<Big>(now - last_) * rate_);
    Decision d;
    d.limit = burst_ + 1;
    auto write = [&](Big q) {
      queued = q;
      queued_ = q;
      last_ = now;
    };
    if (req.refund) {
      d.allowed = true;
      if (req.cost > 0 && queued > 0) {
        write(std::max<Big>(0, queued - static_cast<Big>(std::min(req.cost, burst_ + 1)) * unit));
      }
    } else if (req.cost <= burst_ + 1 && queued + static_cast<Big>(req.cost) * unit <= room_total) {
      d.allowed = true;
      if (req.cost > 0) {
        write(queued + static_cast<Big>(req.cost) * unit);
        // The request's last unit leaves when everything ahead of it has left.
        d.delay = static_cast<Nanos>(ceil_div(queued - unit, rate_));
      }
    } else {
      if (req.drain_on_deny && queued < room_total) write(room_total);
      d.retry_after = req.cost > burst_ + 1
                          ? kNever
                          : static_cast<Nanos>(ceil_div(
                                queued + static_cast<Big>(req.cost) * unit - room_total, rate_));
    }
    const Big room = room_total - queued;
    d.remaining = room <= 0 ? 0 : static_cast<uint64_t>(room / unit);
    d.reset_at = now + static_cast<Nanos>(ceil_div(queued, rate_));
    return d;
  }

 private:
  uint64_t rate_;
  Nanos window_;
  uint64_t burst_;
  Big queued_;
  TimePoint last_;
};

// Fixed window as a map of window start -> count. A clock step back keeps counting in the
// latest window that holds admissions; once the counts are back to zero the key is forgotten.
class WindowMapModel final : public ReferenceModel {
 public:
  explicit WindowMapModel(const Limit& l) : limit_(l) {}
  void reset() override { counts_.clear(); }
  Decision decide(const Request& req, TimePoint now) override {
    CivilWindow w = window_of(now);
    for (auto it = counts_.rbegin(); it != counts_.rend(); ++it) {
      if (it->second > 0) {
        if (it->first >= w.start) w = window_of(it->first);
        break;
      }
    }
    uint64_t& count = counts_[w.start];
    const uint64_t before = count;
    Decision d;
    d.limit = limit_.limit;
    if (req.refund) {
      d.allowed = true;
      count -= std::min(count, req.cost);
    } else if (req.cost <= limit_.limit && count + req.cost <= limit_.limit) {
      d.allowed = true;
      count += req.cost;
    } else {
      if (req.drain_on_deny) count = std::max(count, limit_.limit);
      d.retry_after = req.cost > limit_.limit ? kNever : w.end - now;
    }
    d.remaining = count >= limit_.limit ? 0 : limit_.limit - count;
    d.reset_at = count == 0 ? now : w.end;
    if (count == 0 && before > 0) counts_.clear();  // nothing counted: the key is forgotten
    return d;
  }

 private:
  CivilWindow window_of(TimePoint t) const {
    if (limit_.calendar != Calendar::kNone) return naive_calendar_window(limit_.calendar, t);
    const TimePoint start = static_cast<TimePoint>(floor_div(t, limit_.window)) * limit_.window;
    return {start, start + limit_.window};
  }
  Limit limit_;
  std::map<TimePoint, uint64_t> counts_;
};

// Sliding log as a deque of stamps (stamped no earlier than the newest, so it stays sorted).
class DequeLogModel final : public ReferenceModel {
 public:
  explicit DequeLogModel(const Limit& l) : limit_(l.limit), window_(l.window) {}
  void reset() override { stamps_.clear(); }
  Decision decide(const Request& req, TimePoint now) override {
    while (!stamps_.empty() && stamps_.front() + window_ <= now) stamps_.pop_front();
    const TimePoint stamp = stamps_.empty() ? now : std::max(now, stamps_.back());
    Decision d;
    d.limit = limit_;
    if (req.refund) {
      d.allowed = true;
      for (uint64_t i = 0; i < req.cost && !stamps_.empty(); ++i) stamps_.pop_back();
    } else if (req.cost <= limit_ && stamps_.size() + req.cost <= limit_) {
      d.allowed = true;
      for (uint64_t i = 0; i < req.cost; ++i) stamps_.push_back(stamp);
    } else {
      if (req.drain_on_deny) {
        while (stamps_.size() < limit_) stamps_.push_back(stamp);
      }
      if (req.cost > limit_) {
        d.retry_after = kNever;
      } else {
        // Walk the expiries in order until enough room is free.
        for (size_t i = 0; i < stamps_.size(); ++i) {
          const uint64_t left = stamps_.size() - (i + 1);
          if (left + req.cost <= limit_) {
            d.retry_after = stamps_[i] + window_ - now;
            break;
          }
        }
      }
    }
    d.remaining = stamps_.size() >= limit_ ? 0 : limit_ - stamps_.size();
    d.reset_at = stamps_.empty() ? now : stamps_.back() + window_;
    return d;
  }

 private:
  uint64_t limit_;
  Nanos window_;
  std::deque<TimePoint> stamps_;
};

// Sliding window counter: a map of window index -> count, the weighted estimate computed
// exactly, and retry/reset times found by binary search over the (monotone) estimate.
class WeightedModel final : public ReferenceModel {
 public:
  explicit WeightedModel(const Limit& l) : limit_(l.limit), window_(l.window) {}
  void reset() override {
    counts_.clear();
    anchored_ = false;
  }
  Decision decide(const Request& req, TimePoint now) override {
    // The window of the last change stays current while the clock is behind it.
    int64_t index = static_cast<int64_t>(floor_div(now, window_));
    if (anchored_) index = std::max(index, anchor_);
    const uint64_t before_current = counts_[index];
    const uint64_t before_previous = counts_[index - 1];
    const TimePoint start = index * window_;
    const TimePoint effective_now = std::max(now, start);  // time stands still on a step back
    uint64_t current = before_current;
    uint64_t previous = before_previous;
    const Big budget = static_cast<Big>(limit_) * window_;
    Decision d;
    d.limit = limit_;
    if (req.refund) {
      d.allowed = true;
      uint64_t left = req.cost;
      const uint64_t from_current = std::min(current, left);
      current -= from_current;
      left -= from_current;
      previous -= std::min(previous, left);
    } else if (req.cost <= limit_ &&
               scaled_estimate(previous, current + req.cost, start, effective_now) <= budget) {
      d.allowed = true;
      current += req.cost;
    } else {
      if (req.drain_on_deny) {
        while (scaled_estimate(previous, current + 1, start, effective_now) <= budget) ++current;
      }
      if (req.cost > limit_) {
        d.retry_after = kNever;
      } else {
        const uint64_t cost = req.cost;
        const TimePoint at = first_time(effective_now, [&](TimePoint t) {
          return scaled_at(index, previous, current, cost, t) <= budget;
        });
        d.retry_after = at - now;
      }
    }
    if (current != before_current || previous != before_previous) {
      counts_[index] = current;
      counts_[index - 1] = previous;
      anchor_ = index;
      anchored_ = true;
      if (current == 0 && previous == 0) reset();  // nothing counted: the key is forgotten
    }
    const Big used = scaled_estimate(previous, current, start, effective_now);
    d.remaining = used >= budget ? 0 : static_cast<uint64_t>((budget - used) / window_);
    const TimePoint zero_at =
        current == 0 && previous == 0 ? now : first_time(effective_now, [&](TimePoint t) {
          return scaled_at(index, previous, current, 0, t) == 0;
        });
    d.reset_at = std::max(zero_at, now);
    return d;
  }

 private:
  Big scaled_estimate(uint64_t previous, uint64_t current, TimePoint start, TimePoint t) const {
    return static_cast<Big>(previous) * (window_ - (t - start)) +
           static_cast<Big>(current) * window_;
  }
  // The estimate (scaled) at a later time t with `extra` added, if nothing else happens.
  Big scaled_at(int64_t index, uint64_t previous, uint64_t current, uint64_t extra,
                TimePoint t) const {
    const int64_t at = static_cast<int64_t>(floor_div(t, window_));
    const TimePoint start = at * window_;
    if (at == index) return scaled_estimate(previous, current + extra, start, t);
    if (at == index + 1) return scaled_estimate(current, extra, start, t);
    return static_cast<Big>(extra) * window_;
  }
  template <typename Pred>
  static TimePoint first_time(TimePoint from, Pred ok) {
    if (ok(from)) return from;
    TimePoint lo = from;  // !ok(lo)
    TimePoint hi = from + 1;
    while (!ok(hi)) {
      lo = hi;
      hi = from + 2 * (hi - from);
    }
    while (hi - lo > 1) {
      const TimePoint mid = lo + (hi - lo) / 2;
      (ok(mid) ? hi : lo) = mid;
    }
    return hi;
  }
  uint64_t limit_;
  Nanos window_;
  std::map<int64_t, uint64_t> counts_;
  bool anchored_ = false;
  int64_t anchor_ = 0;
};

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

CivilWindow naive_calendar_window(Calendar calendar, TimePoint t) {
  const int64_t day = static_cast<int64_t>(floor_div(t, kDay));
  switch (calendar) {
    case Calendar::kHour: {
      const TimePoint s = static_cast<TimePoint>(floor_div(t, kHour)) * kHour;
      return {s, s + kHour};
    }
    case Calendar::kDay:
      return {day * kDay, (day + 1) * kDay};
    case Calendar::kWeek: {
      // Day 0 (1970-01-01) was a Thursday, weekday 3 counting Monday as 0.
      const int64_t weekday = ((day + 3) % 7 + 7) % 7;
      return {(day - weekday) * kDay, (day - weekday + 7) * kDay};
    }
    case Calendar::kMonth: {
      static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      int64_t year = 1970;
      int64_t first_of_year = 0;
      while (day >= first_of_year + (leap(year) ? 366 : 365))
        first_of_year += leap(year++) ? 366 : 365;
      while (day < first_of_year) first_of_year -= leap(--year) ? 366 : 365;
      int64_t first = first_of_year;
      for (int m = 0; m < 12; ++m) {
        const int64_t length = kDays[m] + (m == 1 && leap(year) ? 1 : 0);
        if (day < first + length) return {first * kDay, (first + length) * kDay};
        first += length;
      }
      return {0, 0};  // unreachable
    }
    case Calendar::kNone:
    default:
      return {0, 0};
  }
}

std::unique_ptr<ReferenceModel> make_reference_model(const Limit& limit) {
  switch (limit.algorithm) {
    case Algorithm::kTokenBucket:
      return std::make_unique<TokenModel>(limit);
    case Algorithm::kLeakyBucket:
      return std::make_unique<QueueModel>(limit);
    case Algorithm::kFixedWindow:
      return std::make_unique<WindowMapModel>(limit);
    case Algorithm::kSlidingLog:
      return std::make_unique<DequeLogModel>(limit);
    case Algorithm::kSlidingWindow:
      return std::make_unique<WeightedModel>(limit);
  }
  return nullptr;
}

}  // namespace drl::limits::testing
