// Value types of the limiting engine: what a limit is, what a caller asks, what it gets.
// Plain data, no I/O; shared by every algorithm, the store, the node and the wire codec.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "common/time.h"

namespace drl::limits {

enum class Algorithm : uint8_t {
  kTokenBucket = 0,    // GCRA: one timestamp (theoretical arrival time) per key
  kLeakyBucket = 1,    // queue shaping, like nginx limit_req with burst and no nodelay
  kFixedWindow = 2,    // epoch-aligned windows of `window` length, or UTC calendar windows
  kSlidingLog = 3,     // exact log of admissions; for small limits
  kSlidingWindow = 4,  // two-window weighted counter (Cloudflare's approximation)
};

// Calendar alignment for fixed windows. kNone means epoch-aligned windows of `window`.
enum class Calendar : uint8_t { kNone = 0, kHour, kDay, kWeek, kMonth };

// Largest accepted `limit`, `burst` and `cost` (counts are packed in 32 bits per key).
inline constexpr uint64_t kMaxCount = 0xFFFF'FFFFull;
// Largest accepted window, and largest span a bucket may cover (burst x window / limit):
// about ten years, so that every time the engine computes fits in a TimePoint.
inline constexpr Nanos kMaxWindow = 3660 * kDay;
// The sliding log keeps one timestamp per admitted unit, so its limit is kept small.
inline constexpr uint64_t kMaxSlidingLogLimit = 10'000;
// Decision::retry_after when the cost can never pass (cost > the full budget).
inline constexpr Nanos kNever = -1;

struct Limit {
  Algorithm algorithm = Algorithm::kTokenBucket;
  uint64_t limit = 0;  // admissions per window (the sustained rate is limit/window)
  Nanos window = 0;    // > 0; ignored (may be 0) with a calendar
  uint64_t burst = 0;  // token bucket: capacity (0 = limit); leaky: queue size (0 = 0)
  Calendar calendar = Calendar::kNone;  // fixed window only
  bool operator==(const Limit&) const = default;
};

// What a caller asks of one key. cost == 0 peeks: nothing is consumed.
struct Request {
  uint64_t cost = 1;
  bool refund = false;         // give `cost` back (never above the full budget)
  bool reset = false;          // forget the key's state first
  bool drain_on_deny = false;  // on denial, consume whatever remains
  bool shadow = false;         // dry run: always allowed, reports what would have happened
};

struct Decision {
  bool allowed = false;
  bool shadow_denied = false;  // shadow mode: allowed only because of shadow; would deny
  uint64_t limit = 0;
  uint64_t remaining = 0;
  TimePoint reset_at = 0;  // when the key is back to its full budget (wall clock)
  Nanos retry_after = 0;   // 0 when allowed; else the wait until this cost would pass;
                           // kNever (-1) when the cost exceeds the full budget
  Nanos delay = 0;         // leaky bucket: how long the caller should hold the request
  // Set by the store, never by an algorithm (store/store.h, "Memory pressure"):
  bool untracked = false;  // memory full (refuse): the key could not be stored, so `allowed`
                           // is the degrade mode's answer, not the algorithm's
  bool reset_by_eviction = false;  // the key's live state was evicted for memory earlier:
                                   // this decision started from a fresh budget
  // `limit` is the full budget `remaining` counts down from: the token bucket's capacity,
  // the leaky bucket's burst + 1, the window limit otherwise. In shadow mode a would-deny
  // is reported as allowed with shadow_denied set and the would-be remaining/retry_after.
};

// Checks a limit for values the engine cannot honour. Returns "" when valid, else a
// sentence naming the problem ("window must be > 0", ...).
std::string validate(const Limit& limit);

// "token_bucket", "leaky_bucket", "fixed_window", "sliding_log", "sliding_window".
std::string_view algorithm_name(Algorithm a);
bool parse_algorithm(std::string_view name, Algorithm& out);

// "none", "hour", "day", "week", "month".
std::string_view calendar_name(Calendar c);
bool parse_calendar(std::string_view name, Calendar& out);

}  // namespace drl::limits
