#include "limits/policy.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "common/key_hash.h"
#include "limits/duration.h"

namespace drl::limits {
namespace {

constexpr std::string_view kFields =
    "description, algorithm, limit, window, burst, calendar, shadow, degrade, on_memory_full";

// A problem found while reading; `line` is 1-based, 0 when unknown.
struct Problem {
  int line = 0;
  std::string message;
};

int line_of(const YAML::Node& node, int fallback) {
  const int line = node.Mark().line;
  return line >= 0 ? line + 1 : fallback;
}

std::string clip(const std::string& s) { return s.size() > 80 ? s.substr(0, 80) + "..." : s; }

// Reads one field's scalar text, or explains why it is not a single value.
std::optional<Problem> scalar_of(const YAML::Node& node, std::string_view what, int line,
                                 std::string& out) {
  if (!node.IsScalar()) {
    return Problem{line, std::string(what) + " must be a single value"};
  }
  out = node.Scalar();
  return std::nullopt;
}

std::optional<Problem> count_of(const YAML::Node& node, std::string_view what, int line,
                                uint64_t& out) {
  std::string text;
  if (auto p = scalar_of(node, what, line, text)) return p;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (ec != std::errc() || ptr != end) {
    return Problem{line, std::string(what) + " must be a whole number, got '" + clip(text) + "'"};
  }
  return std::nullopt;
}

std::optional<Problem> bool_of(const YAML::Node& node, std::string_view what, int line, bool& out) {
  std::string text;
  if (auto p = scalar_of(node, what, line, text)) return p;
  if (text == "true") {
    out = true;
  } else if (text == "false") {
    out = false;
  } else {
    return Problem{line, std::string(what) + " must be true or false, got '" + clip(text) + "'"};
  }
  return std::nullopt;
}

std::optional<Problem> read_policy(const std::string& name, const YAML::Node& body, int name_line,
                                   Policy& policy) {
  const std::string who = "policy '" + clip(name) + "': ";
  if (!body.IsMap()) {
    return Problem{name_line, who + "expected a map of fields (" + std::string(kFields) + ")"};
  }
  policy.name = name;
  bool has_limit = false;
  bool has_window = false;
  for (const auto& field : body) {
    const int line = line_of(field.first, name_line);
    if (!field.first.IsScalar()) return Problem{line, who + "field names must be plain words"};
    const std::string key = field.first.Scalar();
    const YAML::Node& value = field.second;
    std::string text;
    std::optional<Problem> problem;
    if (key == "description") {
      problem = scalar_of(value, "description", line, policy.description);
    } else if (key == "algorithm") {
      problem = scalar_of(value, "algorithm", line, text);
      if (!problem && !parse_algorithm(text, policy.limit.algorithm)) {
        problem = Problem{line, "unknown algorithm '" + clip(text) +
                                    "' (use token_bucket, leaky_bucket, fixed_window, "
                                    "sliding_log or sliding_window)"};
      }
    } else if (key == "limit") {
      problem = count_of(value, "limit", line, policy.limit.limit);
      has_limit = true;
    } else if (key == "burst") {
      problem = count_of(value, "burst", line, policy.limit.burst);
    } else if (key == "window") {
      problem = scalar_of(value, "window", line, text);
      if (!problem) {
        std::string why;
        const auto window = parse_duration(text, &why);
        if (!window) {
          problem = Problem{line, "window: " + why};
        } else if (*window == 0) {
          problem = Problem{line, "window must be longer than 0"};
        } else {
          policy.limit.window = *window;
        }
      }
      has_window = true;
    } else if (key == "calendar") {
      problem = scalar_of(value, "calendar", line, text);
      if (!problem && !parse_calendar(text, policy.limit.calendar)) {
        problem =
            Problem{line, "unknown calendar '" + clip(text) + "' (use hour, day, week or month)"};
      }
    } else if (key == "shadow") {
      problem = bool_of(value, "shadow", line, policy.shadow);
    } else if (key == "degrade") {
      problem = scalar_of(value, "degrade", line, text);
      if (!problem && !parse_degrade_mode(text, policy.degrade)) {
        problem =
            Problem{line, "unknown degrade mode '" + clip(text) + "' (use local, open or closed)"};
      }
    } else if (key == "on_memory_full") {
      problem = scalar_of(value, "on_memory_full", line, text);
      if (!problem && (text == "default" || !parse_memory_full_mode(text, policy.on_memory_full))) {
        problem =
            Problem{line, "unknown on_memory_full '" + clip(text) + "' (use evict or refuse)"};
      }
    } else {
      problem =
          Problem{line, "unknown field '" + clip(key) + "' (known: " + std::string(kFields) + ")"};
    }
    if (problem) {
      problem->message = who + problem->message;
      return problem;
    }
  }
  if (!has_limit) return Problem{name_line, who + "missing limit"};
  const bool calendar = policy.limit.calendar != Calendar::kNone;
  if (!has_window && !calendar) {
    return Problem{name_line, who + "missing window (a duration such as 1s, 1m, 1h, 1d)"};
  }
  if (has_window && calendar) {
    return Problem{name_line, who + "give either window or calendar, not both"};
  }
  if (const std::string invalid = validate(policy.limit); !invalid.empty()) {
    return Problem{name_line, who + invalid};
  }
  return std::nullopt;
}

std::optional<Problem> read_set(const YAML::Node& root, PolicySet& set) {
  if (!root.IsDefined() || root.IsNull()) {
    return Problem{1, "no policies: expected a top-level 'policies:' map"};
  }
  if (!root.IsMap()) return Problem{line_of(root, 1), "expected a top-level 'policies:' map"};
  YAML::Node policies;
  for (const auto& top : root) {
    const int line = line_of(top.first, 1);
    if (!top.first.IsScalar() || top.first.Scalar() != "policies") {
      return Problem{line, "unknown top-level key (only 'policies' is allowed)"};
    }
    policies = top.second;
  }
  if (!policies.IsDefined()) return Problem{1, "expected a top-level 'policies:' map"};
  if (policies.IsNull()) return std::nullopt;  // "policies:" with nothing under it
  if (!policies.IsMap()) {
    return Problem{line_of(policies, 1), "'policies' must be a map from policy name to fields"};
  }
  std::set<std::string> seen;
  for (const auto& entry : policies) {
    const int line = line_of(entry.first, 1);
    if (!entry.first.IsScalar() || entry.first.Scalar().empty()) {
      return Problem{line, "a policy name must be a non-empty plain word"};
    }
    const std::string name = entry.first.Scalar();
    if (!seen.insert(name).second) {
      return Problem{line, "duplicate policy name '" + clip(name) + "'"};
    }
    Policy policy;
    if (auto problem = read_policy(name, entry.second, line, policy)) return problem;
    set.add(std::move(policy));
  }
  return std::nullopt;
}

PolicyLoad failure(std::string_view source, int line, const std::string& message) {
  PolicyLoad load;
  load.error = std::string(source) + ":" + std::to_string(std::max(line, 1)) + ": " + message;
  return load;
}

}  // namespace

std::string_view degrade_mode_name(DegradeMode m) {
  switch (m) {
    case DegradeMode::kOpen:
      return "open";
    case DegradeMode::kClosed:
      return "closed";
    case DegradeMode::kLocal:
    default:
      return "local";
  }
}

bool parse_degrade_mode(std::string_view name, DegradeMode& out) {
  for (DegradeMode m : {DegradeMode::kLocal, DegradeMode::kOpen, DegradeMode::kClosed}) {
    if (degrade_mode_name(m) == name) {
      out = m;
      return true;
    }
  }
  return false;
}

std::string_view memory_full_mode_name(MemoryFullMode m) {
  switch (m) {
    case MemoryFullMode::kEvict:
      return "evict";
    case MemoryFullMode::kRefuse:
      return "refuse";
    case MemoryFullMode::kNodeDefault:
    default:
      return "default";
  }
}

bool parse_memory_full_mode(std::string_view name, MemoryFullMode& out) {
  for (MemoryFullMode m :
       {MemoryFullMode::kNodeDefault, MemoryFullMode::kEvict, MemoryFullMode::kRefuse}) {
    if (memory_full_mode_name(m) == name) {
      out = m;
      return true;
    }
  }
  return false;
}

const Policy* PolicySet::find(std::string_view name) const {
  const auto it = std::lower_bound(policies_.begin(), policies_.end(), name,
                                   [](const Policy& p, std::string_view n) { return p.name < n; });
  return it != policies_.end() && it->name == name ? &*it : nullptr;
}

bool PolicySet::add(Policy policy) {
  const auto it =
      std::lower_bound(policies_.begin(), policies_.end(), policy.name,
                       [](const Policy& p, const std::string& n) { return p.name < n; });
  if (it != policies_.end() && it->name == policy.name) return false;
  policies_.insert(it, std::move(policy));
  return true;
}

PolicyLoad parse_policies(std::string_view yaml, std::string_view source) {
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    PolicySet set;
    if (auto problem = read_set(root, set)) return failure(source, problem->line, problem->message);
    PolicyLoad load;
    load.policies = std::move(set);
    load.content_hash = std::max<uint64_t>(1, key_hash(yaml));
    return load;
  } catch (const YAML::Exception& e) {
    return failure(source, e.mark.line + 1, "YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {
    return failure(source, 1, std::string("cannot read policies: ") + e.what());
  } catch (...) {
    return failure(source, 1, "cannot read policies");
  }
}

PolicyLoad load_policy_file(const std::string& path, std::string* text_out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    PolicyLoad load;
    load.error = path + ": cannot open the policy file";
    return load;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    PolicyLoad load;
    load.error = path + ": cannot read the policy file";
    return load;
  }
  std::string bytes = text.str();
  auto load = parse_policies(bytes, path);
  if (text_out != nullptr) *text_out = std::move(bytes);
  return load;
}

}  // namespace drl::limits
