// Fills a durable data dir with N keys through the node's own durable storage (the table, the
// log writer and its snapshots, as `drl node --storage durable` runs them), without a network:
// bench/durable_restart.sh uses it when filling through `drl bench` would take too long on a
// busy host. Keys "fill:NNNNNNNNNN" (15 bytes), each decided once on a day-long fixed window,
// so each is written; the dir belongs to node ID of cluster "drl" (start it with --id ID).
//
// Usage: durable_fill DIR N ID
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "node/storage/storage.h"
#include "store/store.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: durable_fill DIR N ID\n");
    return 2;
  }
  drl::node::StorageOptions o;
  o.kind = "durable";
  o.data_dir = argv[1];
  o.node_id = argv[3];
  o.cluster_name = "drl";  // the node's default --cluster-name
  const uint64_t n = std::strtoull(argv[2], nullptr, 10);
  auto storage = drl::node::make_durable_storage(o);
  const auto now = [] {
    return static_cast<drl::TimePoint>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  };
  if (auto err = storage->open(now()); !err.empty()) {
    std::fprintf(stderr, "durable_fill: %s\n", err.c_str());
    return 1;
  }
  const drl::limits::Limit day{.algorithm = drl::limits::Algorithm::kFixedWindow,
                               .limit = 1'000'000'000,
                               .window = 86400 * drl::kSecond};
  char key[32];
  const drl::TimePoint t = now();
  for (uint64_t i = 0; i < n; ++i) {
    const int len =
        std::snprintf(key, sizeof key, "fill:%010llu", static_cast<unsigned long long>(i));
    storage->backend().apply(std::string_view(key, static_cast<size_t>(len)), day, {.cost = 1}, t);
  }
  const uint64_t keys = storage->backend().stats().keys;
  storage->close();
  std::printf("%llu keys\n", static_cast<unsigned long long>(keys));
  return keys == n ? 0 : 1;
}
