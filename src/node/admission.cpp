#include "node/admission.h"

#include <algorithm>

namespace drl::node {

std::string_view shed_reason_name(ShedReason reason) {
  switch (reason) {
    case ShedReason::kDeadline:
      return "deadline";
    case ShedReason::kQueueDelay:
      return "queue_delay";
    case ShedReason::kConcurrency:
      return "concurrency";
  }
  return "unknown";
}

AdmissionController::AdmissionController(AdmissionOptions options) : options_(options) {
  options_.target_delay = std::max<Nanos>(options_.target_delay, 1);
  options_.interval = std::max(options_.interval, options_.target_delay);
  options_.max_in_flight = std::max<uint32_t>(options_.max_in_flight, 1);
}

void AdmissionController::observe(Nanos now, Nanos delay) {
  if (!started_) {
    started_ = true;
    interval_end_ = now + options_.interval;
    min_delay_ = delay;
    return;
  }
  if (now >= interval_end_) {
    // The verdict on the interval that just ended: had the queue ever emptied (a request
    // went through quickly), or did it stand above the target the whole time?
    overloaded_ = min_delay_ > options_.target_delay;
    min_delay_ = delay;
    interval_end_ = now + options_.interval;
    return;
  }
  min_delay_ = std::min(min_delay_, delay);
}

Admission AdmissionController::admit(Nanos now, Nanos arrived, Nanos deadline) {
  const Nanos delay = std::max<Nanos>(0, now - arrived);
  observe(now, delay);
  Admission a;
  if (deadline_passed(now, deadline)) {
    a.admitted = false;
    a.reason = ShedReason::kDeadline;
  } else if (delay > queue_timeout()) {
    a.admitted = false;
    a.reason = ShedReason::kQueueDelay;
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

}  // namespace drl::node
