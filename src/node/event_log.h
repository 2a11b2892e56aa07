// The node's log: spdlog's default logger set up by configure_logging(), and events an
// operator acts on (a member died, the ring changed, a seed does not answer...) written by
// log_event() with their fields. In text logs an event reads "EVENT message (key=value ...)";
// in JSON logs each field is a key of the line's object next to time, level, node and msg.
// Thread-safe (spdlog's logger is; the node id is set once, before the threads start, and
// read under a mutex).
#pragma once
#include <spdlog/common.h>

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace drl::node {

// Sets up the default logger: format "text" (human) or "json" (one object per line), level
// "debug", "info", "warn" or "error". Returns "" or what is wrong.
std::string configure_logging(const std::string& format, const std::string& level = "info");

// The node id every line carries from now on (JSON: "node"; text: after the level).
void set_log_node(std::string id);

using LogField = std::pair<std::string_view, std::string_view>;

// One event: `event` is a stable snake_case name (member_dead, ring_changed, ...), `fields`
// its values (peer, by, epoch, ...), `message` the sentence for a human.
void log_event(spdlog::level::level_enum level, std::string_view event,
               std::span<const LogField> fields, std::string_view message);
inline void log_event(spdlog::level::level_enum level, std::string_view event,
                      std::initializer_list<LogField> fields, std::string_view message) {
  log_event(level, event, std::span<const LogField>(fields.begin(), fields.size()), message);
}

}  // namespace drl::node
