#include "service/cluster_watch.h"

#include <cstdio>

#include "ring/ring.h"

namespace drl::service {
namespace {

std::string percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", share * 100);
  return buf;
}

std::string fraction(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", share);
  return buf;
}

std::string seconds(Nanos d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(d) / 1e9);
  return buf;
}

}  // namespace

std::vector<WatchEvent> ClusterWatch::observe(const WatchSample& s) {
  std::vector<WatchEvent> out;
  if (s.cluster_answered) {
    const uint64_t epoch_before = first_ ? 0 : last_.epoch;
    const double share_before = first_ ? 0 : last_.ring_share;
    if (s.epoch != 0 && s.epoch != epoch_before) {
      const std::string epoch = ring::epoch_text(s.epoch);
      out.push_back({spdlog::level::info,
                     "ring_changed",
                     {{"epoch", epoch},
                      {"epoch_before", ring::epoch_text(epoch_before)},
                      {"members", std::to_string(s.members)},
                      {"share_before", fraction(share_before)},
                      {"share", fraction(s.ring_share)}},
                     "ring epoch " + epoch + " with " + std::to_string(s.members) +
                         " members; this node's share " + percent(share_before) + " -> " +
                         percent(s.ring_share)});
    }
    if (s.handoff_pending && handoff_since_ < 0) {
      handoff_since_ = s.at;
      handoff_records_at_start_ = s.handoff_records_installed;
      out.push_back({spdlog::level::info,
                     "handoff_started",
                     {{"epoch", ring::epoch_text(s.epoch)}},
                     "hand-off started: fetching the ranges this node takes over from their "
                     "previous owners before deciding them"});
    } else if (!s.handoff_pending && handoff_since_ >= 0) {
      const std::string took = seconds(s.at - handoff_since_);
      const std::string records =
          std::to_string(s.handoff_records_installed - handoff_records_at_start_);
      out.push_back(
          {spdlog::level::info,
           "handoff_finished",
           {{"epoch", ring::epoch_text(s.epoch)}, {"seconds", took}, {"records", records}},
           "hand-off finished in about " + took + " s; " + records + " records received"});
      handoff_since_ = -1;
    }
    last_.epoch = s.epoch;
    last_.ring_share = s.ring_share;
    last_.members = s.members;
    first_ = false;
  }
  if (s.overloaded && overload_since_ < 0) {
    overload_since_ = s.at;
    shed_at_start_ = s.shed_checks;
    out.push_back({spdlog::level::warn,
                   "overload_entered",
                   {},
                   "overloaded: requests queue longer than --queue-target-ms; shedding those "
                   "that waited too long"});
  } else if (!s.overloaded && overload_since_ >= 0) {
    const std::string took = seconds(s.at - overload_since_);
    const std::string shed = std::to_string(s.shed_checks - shed_at_start_);
    out.push_back({spdlog::level::info,
                   "overload_left",
                   {{"seconds", took}, {"shed_checks", shed}},
                   "overload over after about " + took + " s; " + shed + " checks shed"});
    overload_since_ = -1;
  }
  return out;
}

}  // namespace drl::service
