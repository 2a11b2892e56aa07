#include "limits/window_bounds.h"

#include <chrono>

namespace drl::limits::detail {
namespace {

// 1970-01-01 was a Thursday; ISO weeks start on the Monday three days before.
constexpr Nanos kWeek = 7 * kDay;
constexpr Nanos kFirstMonday = -3 * kDay;

WindowBounds fixed_length(TimePoint t, TimePoint origin, Nanos length) {
  const TimePoint start = origin + floor_div(t - origin, length) * length;
  return {start, start + length};
}

WindowBounds month_containing(TimePoint t) {
  using namespace std::chrono;
  const sys_days day{days{floor_div(t, kDay)}};
  const year_month_day date{day};
  const year_month first = date.year() / date.month();
  const year_month next = first + months{1};
  const sys_days start{first / 1};
  const sys_days end{next / 1};
  return {start.time_since_epoch().count() * kDay, end.time_since_epoch().count() * kDay};
}

}  // namespace

WindowBounds window_containing(const Limit& limit, TimePoint t) {
  switch (limit.calendar) {
    case Calendar::kHour:
      return fixed_length(t, 0, kHour);
    case Calendar::kDay:
      return fixed_length(t, 0, kDay);
    case Calendar::kWeek:
      return fixed_length(t, kFirstMonday, kWeek);
    case Calendar::kMonth:
      return month_containing(t);
    case Calendar::kNone:
    default:
      return fixed_length(t, 0, limit.window);
  }
}

}  // namespace drl::limits::detail
