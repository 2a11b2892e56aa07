// Plain, obviously-correct models of each algorithm for the property tests: written from
// the documented semantics (docs/design.md), independently of src/limits, favouring
// clarity over speed (token counts, queues, maps of windows, deques, searches).
// Shadow mode is applied by the harness; models see drain_on_deny already cleared then.
#pragma once
#include <deque>
#include <map>
#include <memory>

#include "limits/limit.h"

namespace drl::limits::testing {

class ReferenceModel {
 public:
  virtual ~ReferenceModel() = default;
  virtual Decision decide(const Request& req, TimePoint now) = 0;
  virtual void reset() = 0;
};

// One model for `limit` (valid), starting with a fresh key. Times must be >= 0.
std::unique_ptr<ReferenceModel> make_reference_model(const Limit& limit);

// Civil-date window of a calendar (UTC), computed by counting days year by year.
struct CivilWindow {
  TimePoint start;
  TimePoint end;
};
CivilWindow naive_calendar_window(Calendar calendar, TimePoint t);

}  // namespace drl::limits::testing
