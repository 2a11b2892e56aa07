#include "rls/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

namespace drl::rls {
namespace {

// Every field name envoyproxy/ratelimit accepts anywhere in a file (its validKeys), plus drl's
// `algorithm`. Like envoyproxy/ratelimit, a known name where it means nothing is ignored (with a
// warning here); an unknown name is an error.
constexpr std::array<std::string_view, 17> kKnownFields = {"domain",
                                                           "key",
                                                           "value",
                                                           "descriptors",
                                                           "rate_limit",
                                                           "unit",
                                                           "requests_per_unit",
                                                           "unlimited",
                                                           "shadow_mode",
                                                           "quota_mode",
                                                           "name",
                                                           "replaces",
                                                           "detailed_metric",
                                                           "value_to_metric",
                                                           "share_threshold",
                                                           "metadata",
                                                           "algorithm"};

// Deeper nesting is refused: a YAML alias can make a descriptor list contain itself.
constexpr int kMaxDepth = 32;

struct Problem {
  int line = 0;  // 1-based
  std::string message;
};

class Reader {
 public:
  Reader(std::string_view source, std::vector<std::string>* warnings)
      : source_(source), warnings_(warnings) {}

  std::optional<Problem> read_file(const YAML::Node& root, Domain& domain);

 private:
  std::optional<Problem> read_descriptors(const YAML::Node& list, const std::string& parent_path,
                                          int parent_line, int depth,
                                          std::vector<DescriptorNode>& out);
  std::optional<Problem> read_descriptor(const YAML::Node& map, const std::string& parent_path,
                                         int depth, DescriptorNode& node);
  std::optional<Problem> read_rate_limit(const YAML::Node& map, int line, RateLimitRule& rule);
  std::optional<Problem> read_replaces(const YAML::Node& list, int line,
                                       std::vector<std::string>& out);
  // Reads a field's name into `key`: a Problem when it is not a plain word, is given twice
  // (`seen` holds the names before it) or is unknown; a warning and `ignore` when it is known
  // but means nothing in `where`.
  std::optional<Problem> check_field(const YAML::Node& name, int line, std::set<std::string>& seen,
                                     std::initializer_list<std::string_view> meaningful,
                                     std::string_view where, std::string& key, bool& ignore);
  void warn(int line, const std::string& what) {
    if (warnings_)
      warnings_->push_back(std::string(source_) + ":" + std::to_string(line) + ": " + what);
  }

  std::string_view source_;
  std::vector<std::string>* warnings_;
};

int line_of(const YAML::Node& node, int fallback) {
  const int line = node.Mark().line;
  return line >= 0 ? line + 1 : fallback;
}

std::string clip(const std::string& s) { return s.size() > 80 ? s.substr(0, 80) + "..." : s; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool absent(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

std::optional<Problem> scalar_of(const YAML::Node& node, std::string_view what, int line,
                                 std::string& out) {
  if (absent(node)) {
    out.clear();
    return std::nullopt;
  }
  if (!node.IsScalar()) return Problem{line, std::string(what) + " must be a single value"};
  out = node.Scalar();
  return std::nullopt;
}

// YAML 1.1 booleans, as envoyproxy/ratelimit's YAML library (gopkg.in/yaml.v2) reads them.
std::optional<Problem> bool_of(const YAML::Node& node, std::string_view what, int line, bool& out) {
  std::string text;
  if (auto p = scalar_of(node, what, line, text)) return p;
  const std::string t = lower(text);
  if (t.empty() || t == "false" || t == "no" || t == "n" || t == "off") {
    out = false;
  } else if (t == "true" || t == "yes" || t == "y" || t == "on") {
    out = true;
  } else {
    return Problem{line, std::string(what) + " must be true or false, got '" + clip(text) + "'"};
  }
  return std::nullopt;
}

std::optional<Problem> u32_of(const YAML::Node& node, std::string_view what, int line,
                              uint32_t& out) {
  std::string text;
  if (auto p = scalar_of(node, what, line, text)) return p;
  if (text.empty()) {
    out = 0;
    return std::nullopt;
  }
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (ec != std::errc() || ptr != end) {
    return Problem{line, std::string(what) + " must be a whole number from 0 to 4294967295, got '" +
                             clip(text) + "'"};
  }
  return std::nullopt;
}

std::vector<std::string> split_on_star(const std::string& value) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t star = value.find('*', start);
    parts.push_back(
        value.substr(start, star == std::string::npos ? std::string::npos : star - start));
    if (star == std::string::npos) break;
    start = star + 1;
  }
  return parts;
}

std::optional<Problem> Reader::check_field(const YAML::Node& name, int line,
                                           std::set<std::string>& seen,
                                           std::initializer_list<std::string_view> meaningful,
                                           std::string_view where, std::string& key, bool& ignore) {
  if (!name.IsScalar()) return Problem{line, "field names must be plain words"};
  key = name.Scalar();
  if (!seen.insert(key).second) return Problem{line, "field '" + clip(key) + "' given twice"};
  ignore = false;
  if (std::find(meaningful.begin(), meaningful.end(), key) != meaningful.end()) return std::nullopt;
  if (std::find(kKnownFields.begin(), kKnownFields.end(), key) == kKnownFields.end()) {
    std::string known;
    for (std::string_view m : meaningful) known += (known.empty() ? "" : ", ") + std::string(m);
    return Problem{line, "unknown field '" + clip(key) + "' in " + std::string(where) +
                             " (known there: " + known + ")"};
  }
  warn(line, "field '" + key + "' has no meaning in " + std::string(where) + "; ignored");
  ignore = true;
  return std::nullopt;
}

std::optional<Problem> Reader::read_file(const YAML::Node& root, Domain& domain) {
  if (absent(root)) return Problem{1, "empty file: expected 'domain' and 'descriptors'"};
  if (!root.IsMap())
    return Problem{line_of(root, 1), "expected a map with 'domain' and 'descriptors'"};
  YAML::Node descriptors;
  int descriptors_line = 1;
  std::set<std::string> seen;
  for (const auto& field : root) {
    const int line = line_of(field.first, 1);
    std::string key;
    bool ignore = false;
    if (auto p = check_field(field.first, line, seen, {"domain", "descriptors"}, "the top level",
                             key, ignore))
      return p;
    if (ignore) continue;
    if (key == "domain") {
      if (auto p = scalar_of(field.second, "domain", line, domain.name)) return p;
    } else {
      descriptors = field.second;
      descriptors_line = line;
    }
  }
  if (domain.name.empty()) return Problem{1, "the file has no domain (or an empty one)"};
  return read_descriptors(descriptors, domain.name + ".", descriptors_line, 1, domain.descriptors);
}

std::optional<Problem> Reader::read_descriptors(const YAML::Node& list,
                                                const std::string& parent_path, int parent_line,
                                                int depth, std::vector<DescriptorNode>& out) {
  if (absent(list)) return std::nullopt;
  if (depth > kMaxDepth) {
    return Problem{line_of(list, parent_line),
                   "descriptors nested deeper than " + std::to_string(kMaxDepth) + " levels"};
  }
  if (!list.IsSequence()) {
    return Problem{line_of(list, parent_line), "'descriptors' must be a list of descriptors"};
  }
  for (const auto& item : list) {
    DescriptorNode node;
    if (auto p = read_descriptor(item, parent_path, depth, node)) return p;
    for (const DescriptorNode& other : out) {
      if (other.key == node.key && other.value == node.value) {
        const std::string composite = node.value.empty() ? node.key : node.key + "_" + node.value;
        return Problem{line_of(item, parent_line), "duplicate descriptor composite key '" +
                                                       clip(parent_path + composite) + "'"};
      }
    }
    out.push_back(std::move(node));
  }
  return std::nullopt;
}

std::optional<Problem> Reader::read_descriptor(const YAML::Node& map,
                                               const std::string& parent_path, int depth,
                                               DescriptorNode& node) {
  const int line = line_of(map, 1);
  if (!map.IsMap()) return Problem{line, "a descriptor must be a map with at least a 'key'"};
  YAML::Node rate_limit;
  YAML::Node children;
  int rate_limit_line = line;
  int children_line = line;
  bool shadow_mode = false;
  std::set<std::string> seen;
  for (const auto& field : map) {
    const int fline = line_of(field.first, line);
    std::string key;
    bool ignore = false;
    if (auto p =
            check_field(field.first, fline, seen,
                        {"key", "value", "rate_limit", "descriptors", "shadow_mode", "quota_mode",
                         "detailed_metric", "value_to_metric", "share_threshold", "metadata"},
                        "a descriptor", key, ignore)) {
      return p;
    }
    if (ignore) continue;
    std::optional<Problem> p;
    bool flag = false;
    if (key == "key") {
      p = scalar_of(field.second, "key", fline, node.key);
    } else if (key == "value") {
      p = scalar_of(field.second, "value", fline, node.value);
    } else if (key == "rate_limit") {
      rate_limit = field.second;
      rate_limit_line = fline;
    } else if (key == "descriptors") {
      children = field.second;
      children_line = fline;
    } else if (key == "shadow_mode") {
      p = bool_of(field.second, "shadow_mode", fline, shadow_mode);
    } else if (key == "share_threshold") {
      p = bool_of(field.second, "share_threshold", fline, node.share_threshold);
    } else if (key == "quota_mode") {
      p = bool_of(field.second, "quota_mode", fline, flag);
      if (!p && flag) warn(fline, "quota_mode is not supported by drl; the rule is enforced");
    } else if (key == "metadata") {
      warn(fline, "metadata is not sent back by drl (no dynamic metadata); ignored");
    } else {  // detailed_metric, value_to_metric: they shape envoyproxy/ratelimit's stats names
      p = bool_of(field.second, key, fline, flag);
    }
    if (p) return p;
  }
  if (node.key.empty()) return Problem{line, "descriptor has an empty key"};
  if (node.value.find('*') != std::string::npos) node.value_parts = split_on_star(node.value);
  const std::string composite = node.value.empty() ? node.key : node.key + "_" + node.value;
  if (node.share_threshold && node.value_parts.empty()) {
    return Problem{line,
                   "share_threshold can only be used with wildcard values (containing "
                   "'*'), but found key '" +
                       clip(composite) + "'"};
  }
  const std::string path = parent_path + composite;
  if (!absent(rate_limit)) {
    if (!rate_limit.IsMap()) {
      return Problem{rate_limit_line, "'rate_limit' must be a map (unit, requests_per_unit, ...)"};
    }
    RateLimitRule rule;
    rule.path = path;
    rule.shadow_mode = shadow_mode;
    rule.source = std::string(source_) + ":" + std::to_string(rate_limit_line);
    if (auto p = read_rate_limit(rate_limit, rate_limit_line, rule)) return p;
    node.rate_limit = std::move(rule);
  }
  return read_descriptors(children, path + ".", children_line, depth + 1, node.children);
}

std::optional<Problem> Reader::read_rate_limit(const YAML::Node& map, int line,
                                               RateLimitRule& rule) {
  std::string unit_text;
  bool has_unit = false;
  int unit_line = line;
  int algorithm_line = line;
  std::set<std::string> seen;
  for (const auto& field : map) {
    const int fline = line_of(field.first, line);
    std::string key;
    bool ignore = false;
    if (auto p =
            check_field(field.first, fline, seen,
                        {"unit", "requests_per_unit", "unlimited", "name", "replaces", "algorithm"},
                        "a rate_limit block", key, ignore)) {
      return p;
    }
    if (ignore) continue;
    std::optional<Problem> p;
    if (key == "unit") {
      p = scalar_of(field.second, "unit", fline, unit_text);
      has_unit = !unit_text.empty();
      unit_line = fline;
    } else if (key == "requests_per_unit") {
      p = u32_of(field.second, "requests_per_unit", fline, rule.requests_per_unit);
    } else if (key == "unlimited") {
      p = bool_of(field.second, "unlimited", fline, rule.unlimited);
    } else if (key == "name") {
      p = scalar_of(field.second, "name", fline, rule.name);
    } else if (key == "replaces") {
      p = read_replaces(field.second, fline, rule.replaces);
    } else {  // algorithm (drl's extension)
      std::string text;
      p = scalar_of(field.second, "algorithm", fline, text);
      algorithm_line = fline;
      if (!p && !text.empty() && !limits::parse_algorithm(text, rule.algorithm)) {
        p = Problem{fline, "unknown algorithm '" + clip(text) +
                               "' (use fixed_window, token_bucket, sliding_window, sliding_log "
                               "or leaky_bucket)"};
      }
    }
    if (p) return p;
  }
  const std::optional<Unit> unit = parse_unit(unit_text);
  if (rule.unlimited) {
    if (unit) return Problem{unit_line, "should not specify rate limit unit when unlimited"};
  } else if (!unit) {
    if (!has_unit)
      return Problem{line,
                     "rate_limit has no unit (second, minute, hour, day, week, month or year)"};
    return Problem{unit_line, "invalid rate limit unit '" + clip(unit_text) +
                                  "' (use second, minute, hour, day, week, month or year)"};
  } else {
    rule.unit = *unit;
  }
  for (const std::string& replaced : rule.replaces) {
    if (replaced == rule.name) {
      return Problem{line, "replaces should not contain name of same descriptor"};
    }
  }
  if (!rule.unlimited && rule.requests_per_unit > 0) {
    limits::Limit limit;
    limit.algorithm = rule.algorithm;
    limit.limit = rule.requests_per_unit;
    limit.window = unit_length(rule.unit);
    if (const std::string invalid = limits::validate(limit); !invalid.empty()) {
      return Problem{algorithm_line, "algorithm " +
                                         std::string(limits::algorithm_name(rule.algorithm)) +
                                         " with this rate limit: " + invalid};
    }
  }
  return std::nullopt;
}

std::optional<Problem> Reader::read_replaces(const YAML::Node& list, int line,
                                             std::vector<std::string>& out) {
  if (absent(list)) return std::nullopt;
  if (!list.IsSequence())
    return Problem{line, "'replaces' must be a list of '- name: <rule name>'"};
  for (const auto& item : list) {
    const int iline = line_of(item, line);
    if (!item.IsMap()) return Problem{iline, "'replaces' must be a list of '- name: <rule name>'"};
    std::string name;
    std::set<std::string> seen;
    for (const auto& field : item) {
      const int fline = line_of(field.first, iline);
      std::string key;
      bool ignore = false;
      if (auto p =
              check_field(field.first, fline, seen, {"name"}, "a replaces entry", key, ignore)) {
        return p;
      }
      if (ignore) continue;
      if (auto p = scalar_of(field.second, "name", fline, name)) return p;
    }
    if (name.empty()) return Problem{iline, "should not have an empty replaces entry"};
    out.push_back(std::move(name));
  }
  return std::nullopt;
}

std::string failure(std::string_view source, int line, const std::string& message) {
  return std::string(source) + ":" + std::to_string(std::max(line, 1)) + ": " + message;
}

std::string read_text(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open the file";
    return {};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) error = path + ": cannot read the file";
  return text.str();
}

}  // namespace

Nanos unit_length(Unit unit) {
  switch (unit) {
    case Unit::kSecond:
      return kSecond;
    case Unit::kMinute:
      return kMinute;
    case Unit::kHour:
      return kHour;
    case Unit::kDay:
      return kDay;
    case Unit::kWeek:
      return 7 * kDay;
    case Unit::kMonth:
      return 30 * kDay;
    case Unit::kYear:
      return 365 * kDay;
    default:
      return 0;
  }
}

std::string_view unit_name(Unit unit) {
  switch (unit) {
    case Unit::kSecond:
      return "SECOND";
    case Unit::kMinute:
      return "MINUTE";
    case Unit::kHour:
      return "HOUR";
    case Unit::kDay:
      return "DAY";
    case Unit::kWeek:
      return "WEEK";
    case Unit::kMonth:
      return "MONTH";
    case Unit::kYear:
      return "YEAR";
    default:
      return "UNKNOWN";
  }
}

std::optional<Unit> parse_unit(std::string_view text) {
  const std::string t = lower(text);
  for (Unit u : {Unit::kSecond, Unit::kMinute, Unit::kHour, Unit::kDay, Unit::kWeek, Unit::kMonth,
                 Unit::kYear}) {
    if (lower(unit_name(u)) == t) return u;
  }
  return std::nullopt;
}

const Domain* RlsConfig::find(std::string_view domain) const {
  const auto it = domains_.find(domain);
  return it == domains_.end() ? nullptr : &it->second;
}

bool RlsConfig::add(Domain domain) {
  const std::string name = domain.name;
  return domains_.emplace(name, std::move(domain)).second;
}

std::string parse_rls_file(std::string_view yaml, std::string_view source, RlsConfig& into,
                           std::vector<std::string>* warnings) {
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    Domain domain;
    domain.source = std::string(source);
    std::vector<std::string> mine;
    Reader reader(source, &mine);
    if (auto problem = reader.read_file(root, domain)) {
      return failure(source, problem->line, problem->message);
    }
    if (into.find(domain.name) != nullptr) {
      return failure(source, 1,
                     "duplicate domain '" + clip(domain.name) + "' (also in " +
                         into.find(domain.name)->source + ")");
    }
    into.add(std::move(domain));
    if (warnings) warnings->insert(warnings->end(), mine.begin(), mine.end());
    return "";
  } catch (const YAML::Exception& e) {
    return failure(source, e.mark.line + 1, "YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {
    return failure(source, 1, std::string("cannot read the file: ") + e.what());
  } catch (...) {
    return failure(source, 1, "cannot read the file");
  }
}

RlsConfigLoad parse_rls_config(std::string_view yaml, std::string_view source) {
  RlsConfigLoad load;
  auto config = std::make_shared<RlsConfig>();
  load.error = parse_rls_file(yaml, source, *config, &load.warnings);
  if (load.error.empty()) load.config = std::move(config);
  return load;
}

RlsConfigLoad load_rls_config(const std::string& path) {
  std::string text;
  if (std::string err = read_rls_document(path, text); !err.empty()) {
    RlsConfigLoad load;
    load.error = std::move(err);
    return load;
  }
  return parse_rls_document(text, path);
}

RlsConfigLoad parse_rls_document(std::string_view text, std::string_view source) {
  RlsConfigLoad load;
  auto config = std::make_shared<RlsConfig>();
  std::string part_source(source);
  size_t part_start = 0;
  auto parse_part = [&](size_t end) {
    const std::string_view part = text.substr(part_start, end - part_start);
    if (part.find_first_not_of(" \t\r\n") == std::string_view::npos) return true;
    load.error = parse_rls_file(part, part_source, *config, &load.warnings);
    return load.error.empty();
  };
  for (size_t at = 0; at < text.size();) {
    size_t eol = text.find('\n', at);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(at, eol - at);
    if (line.substr(0, 3) == "---") {
      if (!parse_part(at)) break;
      const size_t hash = line.find("# ");
      part_source =
          hash == std::string_view::npos ? std::string(source) : std::string(line.substr(hash + 2));
      while (!part_source.empty() && (part_source.back() == '\r' || part_source.back() == ' ')) {
        part_source.pop_back();
      }
      part_start = eol + 1 > text.size() ? text.size() : eol + 1;
    }
    at = eol + 1;
  }
  if (load.error.empty()) parse_part(text.size());
  if (!load.error.empty()) {
    load.warnings.clear();
    return load;
  }
  load.config = std::move(config);
  return load;
}

std::string read_rls_document(const std::string& path, std::string& text) {
  text.clear();
  std::error_code ec;
  std::vector<std::string> files;
  if (std::filesystem::is_directory(path, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      const std::string name = entry.path().filename().string();
      const std::string ext = entry.path().extension().string();
      if (name.empty() || name[0] == '.' || (ext != ".yaml" && ext != ".yml")) continue;
      if (!entry.is_regular_file(ec)) continue;
      files.push_back(entry.path().string());
    }
    if (ec) return path + ": cannot list the directory: " + ec.message();
    std::sort(files.begin(), files.end());
  } else {
    std::string error;
    text = read_text(path, error);
    return error;
  }
  for (const std::string& file : files) {
    std::string error;
    const std::string part = read_text(file, error);
    if (!error.empty()) return error;
    text += "--- # " + file + "\n" + part;
    if (!part.empty() && part.back() != '\n') text += '\n';
  }
  return "";
}

}  // namespace drl::rls
