// envoyproxy/ratelimit's configuration format, read as its README documents it (and as its
// src/config/config_impl.go reads it): one YAML document per file, `domain` plus a tree of
// `descriptors` (key, optional value with `*` wildcards, rate_limit {unit, requests_per_unit,
// unlimited, name, replaces}, shadow_mode, share_threshold, nested descriptors). drl adds one
// field to rate_limit: `algorithm` (default fixed_window, which gives the numbers
// envoyproxy/ratelimit gives). docs/envoy.md lists what is accepted and what is not.
//
// Loading never throws and never crashes on bad input: it returns the configuration or an
// error "<file>:<line>: <problem>". An RlsConfig is an immutable value after loading; const
// access is thread-safe. Pure code: the only I/O is reading the files in load_rls_config().
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "limits/limit.h"

namespace drl::rls {

// The numbers of envoy.service.ratelimit.v3.RateLimitResponse.RateLimit.Unit.
enum class Unit : uint8_t {
  kUnknown = 0,
  kSecond = 1,
  kMinute = 2,
  kHour = 3,
  kDay = 4,
  kMonth = 5,
  kYear = 6,
  kWeek = 7,
};

// The window of a unit as envoyproxy/ratelimit computes it (src/utils/utilities.go,
// UnitToDivider): a month is 30 days and a year 365 days, windows aligned to the Unix epoch.
// 0 for kUnknown or a number outside the enum.
Nanos unit_length(Unit unit);
// "SECOND", ... "YEAR"; "UNKNOWN" otherwise.
std::string_view unit_name(Unit unit);
// Case-insensitive, as envoyproxy/ratelimit reads it ("second", "Minute", "DAY").
std::optional<Unit> parse_unit(std::string_view text);

// The rate_limit block of a descriptor.
struct RateLimitRule {
  std::string name;                   // may be empty
  std::vector<std::string> replaces;  // names of rules this one drops when both match
  bool unlimited = false;             // answered OK with remaining 2^32-1, never counted
  uint32_t requests_per_unit = 0;     // 0 denies every charged hit
  Unit unit = Unit::kUnknown;         // kUnknown only when unlimited
  limits::Algorithm algorithm = limits::Algorithm::kFixedWindow;
  bool shadow_mode = false;  // the descriptor's shadow_mode: counted, never denied
  // The rule's identity: the domain and the composite keys down to it, as envoyproxy/ratelimit
  // names it in its stats ("messaging.message_type_marketing.to_number"). Unique per config.
  std::string path;
  std::string source;  // "<file>:<line>" of its rate_limit block, for messages
};

struct DescriptorNode {
  std::string key;
  std::string value;                     // empty: matches any value of `key` (the bare key)
  std::vector<std::string> value_parts;  // `value` split on '*' when it holds one, else empty
  bool share_threshold = false;          // wildcard only: every matching value shares one counter
  std::optional<RateLimitRule> rate_limit;
  std::vector<DescriptorNode> children;
};

struct Domain {
  std::string name;
  std::vector<DescriptorNode> descriptors;
  std::string source;  // the file it came from
};

class RlsConfig {
 public:
  // Null when no file declares that domain. The pointer lives as long as this config.
  const Domain* find(std::string_view domain) const;
  const std::map<std::string, Domain, std::less<>>& domains() const { return domains_; }
  // Adds a domain; false (and no change) if the name is taken.
  bool add(Domain domain);

 private:
  std::map<std::string, Domain, std::less<>> domains_;
};

struct RlsConfigLoad {
  std::shared_ptr<const RlsConfig> config;  // set on success
  std::string error;                        // on failure: "<file>:<line>: <problem>"
  // Accepted but without effect in drl (e.g. quota_mode, a field with no meaning where it
  // stands): "<file>:<line>: <what is ignored>". Set on success too.
  std::vector<std::string> warnings;
  bool ok() const { return config != nullptr; }
};

// Parses one file's text into `into` (which may already hold other files' domains); `source`
// names it in errors. Returns "" on success, else the error; `into` is unchanged on error.
std::string parse_rls_file(std::string_view yaml, std::string_view source, RlsConfig& into,
                           std::vector<std::string>* warnings = nullptr);
// Parses a whole configuration from one text (tests, tools).
RlsConfigLoad parse_rls_config(std::string_view yaml, std::string_view source = "<rls-config>");
// Reads a file, or every *.yaml and *.yml file of a directory (not those starting with '.'),
// in name order, as one document (read_rls_document) and parses it (parse_rls_document). A
// domain declared twice is an error.
RlsConfigLoad load_rls_config(const std::string& path);

// The RLS configuration as one text, the form the cluster spreads it in (PolicyOffer::rls):
// a file's bytes as they are; a directory's files (as load_rls_config picks them) each after
// a line "--- # PATH". Returns "" and fills `text`, or the error.
std::string read_rls_document(const std::string& path, std::string& text);
// Parses such a text: the parts between lines that start with "---" are parsed as files (a
// part named by the comment on its "---" line, "--- # NAME", else by `source`; line numbers
// count from the part's start); blank parts are skipped.
RlsConfigLoad parse_rls_document(std::string_view text, std::string_view source);

}  // namespace drl::rls
