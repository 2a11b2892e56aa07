#include "service/admission.h"

#include <algorithm>

namespace drl::service {

std::string_view shed_reason_name(ShedReason reason) {
  switch (reason) {
    case ShedReason::kDeadline:
      return "deadline";
    case ShedReason::kQueueDelay:
      return "queue_delay";
    case ShedReason::kConcurrency:
      return "concurrency";
    case ShedReason::kSuperseded:
      return "superseded";
  }
  return "unknown";
}

AdmissionController::AdmissionController(AdmissionOptions options) : options_(options) {
  options_.target_delay = std::max<Nanos>(options_.target_delay, 1);
  options_.interval = std::max(options_.interval, options_.target_delay);
  options_.max_in_flight = std::max<uint32_t>(options_.max_in_flight, 1);
}

void AdmissionController::observe(Nanos now, Nanos arrived, Nanos delay) {
  track_growth(now, arrived, delay);
  if (!started_) {
    started_ = true;
    interval_end_ = now + options_.interval;
    quarter_start_ = now;
    quarter_min_ = delay;
    quarter_refilled_ = false;
    min_delay_ = delay;
    max_delay_ = delay;
    superseded_seen_ = false;
    return;
  }
  if (now >= interval_end_) {
    overloaded_ = verdict(now);
    min_delay_ = delay;
    max_delay_ = delay;
    superseded_seen_ = false;
    interval_end_ = now + options_.interval;
    return;
  }
  min_delay_ = std::min(min_delay_, delay);
  max_delay_ = std::max(max_delay_, delay);
  // A flood need not wait out a whole interval: once every request of a quarter interval
  // (tumbling windows, so a quick request before the flood does not hide it) queued past
  // the target, the queue stands.
  if (now - quarter_start_ >= options_.interval / 4) {
    const bool standing = quarter_min_ > options_.target_delay && quarter_refilled_;
    quarter_start_ = now;
    quarter_min_ = delay;
    quarter_refilled_ = false;
    if (!overloaded_ && standing) enter(now, delay);
  } else {
    quarter_min_ = std::min(quarter_min_, delay);
    quarter_refilled_ = quarter_refilled_ || arrived >= quarter_start_;
  }
}

void AdmissionController::track_growth(Nanos now, Nanos arrived, Nanos delay) {
  if (delay <= options_.target_delay) {
    in_late_run_ = false;
    return;
  }
  if (!in_late_run_) {
    in_late_run_ = true;
    late_run_start_ = now;
    late_run_first_delay_ = delay;
    late_run_first_arrival_ = arrived;
    return;
  }
  // Late for a whole target's time, later now than at the start, and by requests that kept
  // arriving (the latest arrived a fifth of the target after the first: at 5x a node's
  // capacity that takes the target's time to see, in FIFO order): a queue that grows and
  // keeps being refilled. A stall's backlog drains instead (its delays fall), and a burst
  // that arrived at once (one client's deep pipeline) brings nothing new: both pass.
  if (!overloaded_ && started_ && now - late_run_start_ >= options_.target_delay &&
      delay >= late_run_first_delay_ &&
      arrived - late_run_first_arrival_ >= options_.target_delay / 5) {
    enter(now, delay);
  }
}

void AdmissionController::enter(Nanos now, Nanos delay) {
  overloaded_ = true;
  min_delay_ = delay;
  max_delay_ = delay;
  superseded_seen_ = false;
  interval_end_ = now + options_.interval;
}

bool AdmissionController::verdict(Nanos now) const {
  // An interval with no request at all: the queue was empty.
  if (now >= interval_end_ + options_.interval) return false;
  // The verdict on the interval that ended. Not overloaded: did the queue stand above the
  // target the whole time? Overloaded: did any request still queue past it, or get
  // overtaken by newer ones (the newest-first rule hides the queue it cuts)?
  return overloaded_ ? max_delay_ > overloaded_delay() || superseded_seen_
                     : min_delay_ > options_.target_delay;
}

bool AdmissionController::overloaded(Nanos now) const {
  if (!started_ || now < interval_end_) return overloaded_;
  return verdict(now);
}

Admission AdmissionController::admit(Nanos now, Nanos arrived, Nanos deadline, bool superseded) {
  const Nanos delay = std::max<Nanos>(0, now - arrived);
  observe(now, arrived, delay);
  Admission a;
  if (deadline_passed(now, deadline)) {
    a.admitted = false;
    a.reason = ShedReason::kDeadline;
  } else if (delay > queue_timeout()) {
    a.admitted = false;
    a.reason = ShedReason::kQueueDelay;
  } else if (overloaded_ && superseded) {
    a.admitted = false;
    a.reason = ShedReason::kSuperseded;
    superseded_seen_ = true;
  } else if (in_flight_ >= options_.max_in_flight) {
    a.admitted = false;
    a.reason = ShedReason::kConcurrency;
  }
  if (!a.admitted) {
    a.retry_after = options_.retry_after;
    return a;
  }
  ++in_flight_;
  return a;
}

void AdmissionController::done() {
  if (in_flight_ > 0) --in_flight_;
}

}  // namespace drl::service
