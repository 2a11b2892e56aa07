#include "node/seed.h"

namespace drl::node {

Result<Seed> parse_seed(std::string_view text) {
  Seed s;
  s.text = std::string(text);
  s.dns = text.starts_with(kDnsSeedPrefix);
  if (s.dns) text.remove_prefix(kDnsSeedPrefix.size());
  auto at = parse_host_port(text);
  if (!at) return at.status();
  // parse_host_port reads ":7000" as 127.0.0.1:7000; a name to resolve must be written out.
  if (s.dns && (text.starts_with(':') || text.starts_with("[]") || is_unspecified_host(at->host))) {
    return Status(ResultCode::kInvalidArgument,
                  "'" + s.text + "' names no host (dns+NAME:PORT, e.g. dns+drl-peers:7000)");
  }
  s.at = std::move(*at);
  return s;
}

Result<std::vector<Seed>> parse_seeds(const std::vector<std::string>& texts) {
  std::vector<Seed> out;
  for (const auto& list : texts) {
    std::string_view rest = list;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view one = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (one.empty()) continue;
      auto seed = parse_seed(one);
      if (!seed) return seed.status();
      out.push_back(std::move(*seed));
    }
  }
  return out;
}

}  // namespace drl::node
