// Turns what a node samples of itself every second into the events an operator reads in the
// log: ring_changed (epoch, this node's share before and after), handoff_started and
// handoff_finished (how long, how many records came in), overload_entered and overload_left
// (with the checks shed meanwhile). Pure: the caller samples and logs what observe() returns
// (node/membership_log.h). Not thread-safe; the node's control thread
// owns it.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/common.h>

#include "common/time.h"

namespace drl::service {

struct WatchSample {
  Nanos at = 0;                   // monotonic
  bool cluster_answered = false;  // false: the fields below the line are stale, skip them
  uint64_t epoch = 0;
  size_t members = 0;
  double ring_share = 0;
  bool handoff_pending = false;
  uint64_t handoff_records_installed = 0;
  bool overloaded = false;
  uint64_t shed_checks = 0;  // all reasons, since start
};

struct WatchEvent {
  spdlog::level::level_enum level;
  std::string event;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string message;
};

class ClusterWatch {
 public:
  std::vector<WatchEvent> observe(const WatchSample& sample);
  bool handoff_in_progress() const { return handoff_since_ >= 0; }

 private:
  bool first_ = true;
  WatchSample last_;
  Nanos handoff_since_ = -1;
  uint64_t handoff_records_at_start_ = 0;
  Nanos overload_since_ = -1;
  uint64_t shed_at_start_ = 0;
};

}  // namespace drl::service
