// One `drl node --join` seed: a literal HOST:PORT, or dns+NAME:PORT, standing for every A and
// AAAA record of NAME (resolved, and resolved again, by node/seed_watch.h), as Consul's
// retry-join and memberlist's `dns+` seeds do. Pure; thread-safe.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/host_port.h"

namespace drl::node {

struct Seed {
  std::string text;  // as given, for the log
  HostPort at;
  bool dns = false;  // dns+NAME:PORT
};

inline constexpr std::string_view kDnsSeedPrefix = "dns+";

// Errors are kInvalidArgument with a sentence that quotes the seed.
Result<Seed> parse_seed(std::string_view text);
// Every seed of `texts`, each entry a comma-separated list (--join may be repeated).
Result<std::vector<Seed>> parse_seeds(const std::vector<std::string>& texts);

}  // namespace drl::node
