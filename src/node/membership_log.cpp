#include "node/membership_log.h"

#include <vector>

#include "node/event_log.h"

namespace drl::node {

void log_membership_event(const membership::MembershipEvent& e) {
  using membership::EventKind;
  const auto& m = e.member;
  const std::string& id = m.info.id;
  const std::string incarnation = std::to_string(m.incarnation);
  const std::string by = e.by.empty() ? "?" : e.by;
  switch (e.kind) {
    case EventKind::kJoined:
      log_event(spdlog::level::info, "member_joined",
                {{"peer", id}, {"address", m.info.address}, {"incarnation", incarnation}},
                "member " + id + " joined from " + m.info.address);
      break;
    case EventKind::kSuspect:
      log_event(spdlog::level::warn, "member_suspected",
                {{"peer", id}, {"by", by}, {"incarnation", incarnation}},
                "member " + id + " is suspected by " + by + " (no answer to its probes)");
      break;
    case EventKind::kDead:
      log_event(spdlog::level::warn, "member_dead",
                {{"peer", id}, {"by", by}, {"address", m.info.address}},
                "member " + id + " at " + m.info.address + " is dead (declared by " + by + ")");
      break;
    case EventKind::kAlive:
      log_event(spdlog::level::info, "member_alive", {{"peer", id}, {"incarnation", incarnation}},
                "member " + id + " is alive again (incarnation " + incarnation + ")");
      break;
    case EventKind::kLeft:
      log_event(spdlog::level::info, "member_left", {{"peer", id}, {"address", m.info.address}},
                "member " + id + " left the cluster");
      break;
    case EventKind::kUpdated:
      log_event(spdlog::level::debug, "member_updated",
                {{"peer", id}, {"incarnation", incarnation}},
                "member " + id + " announced incarnation " + incarnation);
      break;
  }
}

void log_watch_event(const service::WatchEvent& e) {
  // log_event takes views; the fields live in `e` for the call.
  std::vector<LogField> fields(e.fields.begin(), e.fields.end());
  log_event(e.level, e.event, std::span<const LogField>(fields), e.message);
}

}  // namespace drl::node
