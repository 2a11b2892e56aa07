// Named policies loaded from a YAML file (format: docs/design.md, example:
// docs/policies.example.yaml). Loading never throws and never crashes on bad input: it
// returns the policies or an error naming file:line and the problem. A PolicySet is an
// immutable value after loading; const access is thread-safe.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "limits/limit.h"

namespace drl::limits {

// What a node does for a key when it can reach no replica of it (design brief).
enum class DegradeMode : uint8_t {
  kLocal = 0,  // enforce limit / cluster size locally (default)
  kOpen,       // allow everything
  kClosed,     // deny everything
};

std::string_view degrade_mode_name(DegradeMode m);
bool parse_degrade_mode(std::string_view name, DegradeMode& out);

// What the store does when a key must be added and its memory budget is spent
// (docs/design.md, "Memory pressure"). kNodeDefault: the node's --on-memory-full.
enum class MemoryFullMode : uint8_t {
  kNodeDefault = 0,
  kEvict = 1,   // evict a live key (the soonest to expire of a sample); its reset is flagged
  kRefuse = 2,  // evict nothing live; the new key is not tracked and the degrade mode decides
};

// "default", "evict", "refuse".
std::string_view memory_full_mode_name(MemoryFullMode m);
bool parse_memory_full_mode(std::string_view name, MemoryFullMode& out);

struct Policy {
  std::string name;
  std::string description;  // what the key is ("authenticated user id"); may be empty
  Limit limit;              // validate(limit) == "" for every loaded policy
  bool shadow = false;      // dry run: always allow, report would-be denials
  DegradeMode degrade = DegradeMode::kLocal;
  MemoryFullMode on_memory_full = MemoryFullMode::kNodeDefault;
};

class PolicySet {
 public:
  // Null when no policy has that name. The pointer lives as long as this set.
  const Policy* find(std::string_view name) const;
  // Policies in name order.
  const std::vector<Policy>& all() const { return policies_; }
  size_t size() const { return policies_.size(); }

  // Adds a policy; false (and no change) if the name is taken.
  bool add(Policy policy);

 private:
  std::vector<Policy> policies_;  // sorted by name
};

struct PolicyLoad {
  std::optional<PolicySet> policies;  // set on success
  std::string error;                  // on failure: "<source>:<line>: <problem>"
  // On success: a hash of the text parsed, never 0. The same file gives the same hash on
  // every node; any byte changed gives another (nodes compare it to agree on one set).
  uint64_t content_hash = 0;
  bool ok() const { return policies.has_value(); }
};

// Parses policies from YAML text; `source` names it in errors (a file name).
PolicyLoad parse_policies(std::string_view yaml, std::string_view source = "<policies>");
// Reads and parses a policy file (the same hash as parse_policies of its bytes). `text`, if
// given, receives the bytes read.
PolicyLoad load_policy_file(const std::string& path, std::string* text = nullptr);

}  // namespace drl::limits
