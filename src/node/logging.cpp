#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "node/event_log.h"

namespace drl::node {
namespace {

// A payload that begins with this byte holds JSON members already ("event":...,"msg":...),
// written by log_event(); any other payload is a plain message.
constexpr char kFieldsMark = '\x1e';
std::atomic<bool> g_json{false};
std::mutex g_node_mutex;
std::string g_node;  // guarded by g_node_mutex

void append_escaped(std::string_view text, spdlog::memory_buf_t& dest) {
  for (char c : text) {
    switch (c) {
      case '"':
        dest.append(std::string_view("\\\""));
        break;
      case '\\':
        dest.append(std::string_view("\\\\"));
        break;
      case '\n':
        dest.append(std::string_view("\\n"));
        break;
      case '\t':
        dest.append(std::string_view("\\t"));
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          dest.append(std::string_view(buf));
        } else {
          dest.push_back(c);
        }
    }
  }
}

std::string escaped(std::string_view text) {
  spdlog::memory_buf_t buf;
  append_escaped(text, buf);
  return std::string(buf.data(), buf.size());
}

std::string node_id() {
  std::lock_guard lock(g_node_mutex);
  return g_node;
}

// %* : the members after time, level and node: "msg":"..." for a plain message, the fields
// as given for an event.
class JsonPayloadFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!payload.empty() && payload[0] == kFieldsMark) {
      dest.append(payload.substr(1));
      return;
    }
    dest.append(std::string_view("\"msg\":\""));
    append_escaped(payload, dest);
    dest.push_back('"');
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonPayloadFlag>();
  }
};

// %N : the node id, escaped for JSON (text logs: followed by a space; nothing while unset).
class NodeFlag final : public spdlog::custom_flag_formatter {
 public:
  explicit NodeFlag(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string id = node_id();
    if (json_) {
      append_escaped(id, dest);
    } else if (!id.empty()) {
      dest.append(id);
      dest.push_back(' ');
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<NodeFlag>(json_);
  }

 private:
  bool json_;
};

}  // namespace

std::string configure_logging(const std::string& format, const std::string& level) {
  const auto lvl = spdlog::level::from_str(level);
  if (level != "debug" && level != "info" && level != "warn" && level != "error") {
    return "unknown --log-level '" + level + "' (debug, info, warn or error)";
  }
  if (format != "json" && format != "text") {
    return "unknown --log-format '" + format + "' (text or json)";
  }
  auto logger = spdlog::get("drl");
  if (!logger) logger = spdlog::stderr_color_mt("drl");
  auto f = std::make_unique<spdlog::pattern_formatter>();
  const bool json = format == "json";
  f->add_flag<NodeFlag>('N', json);
  if (json) {
    f->add_flag<JsonPayloadFlag>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","node":"%N",%*})");
  } else {
    f->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %N%v");
  }
  logger->set_formatter(std::move(f));
  g_json.store(json);
  spdlog::set_default_logger(logger);
  spdlog::set_level(lvl);
  spdlog::flush_on(spdlog::level::info);
  return "";
}

void set_log_node(std::string id) {
  std::lock_guard lock(g_node_mutex);
  g_node = std::move(id);
}

void log_event(spdlog::level::level_enum level, std::string_view event,
               std::span<const LogField> fields, std::string_view message) {
  if (!spdlog::should_log(level)) return;
  std::string line;
  if (g_json.load()) {
    line.push_back(kFieldsMark);
    line += "\"event\":\"" + escaped(event) + "\"";
    for (const auto& [key, value] : fields) {
      line += ",\"" + escaped(key) + "\":\"" + escaped(value) + "\"";
    }
    line += ",\"msg\":\"" + escaped(message) + "\"";
  } else {
    line = std::string(event) + " " + std::string(message);
    if (!fields.empty()) {
      line += " (";
      bool first = true;
      for (const auto& [key, value] : fields) {
        line += (first ? "" : " ") + std::string(key) + "=" + std::string(value);
        first = false;
      }
      line += ")";
    }
  }
  spdlog::log(level, "{}", line);
}

}  // namespace drl::node
