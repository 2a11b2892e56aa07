// The storage backends a node can run, by `--storage` name. Adding a backend: its table in
// src/store/<name>/ (a store::Backend), its node part here in src/node/storage/ (a Storage),
// and one line below. docs/design.md "Storage backends".
#include <array>
#include <utility>

#include "limits/duration.h"
#include "node/storage/storage.h"

namespace drl::node {
namespace {

constexpr std::array<std::pair<std::string_view, StorageFactory>, 2> kBackends{{
    {"memory", &make_memory_storage},
    {"durable", &make_durable_storage},
}};

}  // namespace

StorageFactory find_storage(std::string_view name) {
  for (const auto& [n, make] : kBackends) {
    if (n == name) return make;
  }
  return nullptr;
}

std::vector<std::string> storage_names() {
  std::vector<std::string> out;
  for (const auto& b : kBackends) out.emplace_back(b.first);
  return out;
}

std::optional<FsyncPolicy> parse_fsync_policy(std::string_view text, std::string* error) {
  FsyncPolicy p;
  if (text == "always") {
    p.mode = FsyncPolicy::Mode::kAlways;
    return p;
  }
  const bool never = text == "never";
  std::string why;
  const auto interval =
      never ? std::optional<Nanos>(p.interval) : limits::parse_duration(text, &why);
  if (!interval || *interval <= 0 || *interval > 3600 * kSecond) {
    if (error != nullptr) {
      *error = "--fsync-interval takes always, never or a duration from 1ms to 1h (e.g. 10ms)" +
               (why.empty() ? "" : ": " + why);
    }
    return std::nullopt;
  }
  p.mode = never ? FsyncPolicy::Mode::kNever : FsyncPolicy::Mode::kInterval;
  p.interval = *interval;
  return p;
}

}  // namespace drl::node
