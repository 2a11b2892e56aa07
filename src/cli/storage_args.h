// `drl node`'s storage flags (--storage, --data-dir, --fsync-interval, ...), kept apart from
// node_command.cpp so a backend's flags live together.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "node/storage/storage.h"

namespace drl::cli {

struct StorageArgs {
  std::string storage = "memory";
  std::string data_dir;
  std::string fsync_interval = "10ms";
  std::string durable_min_window = "1m";
  uint64_t snapshot_log_bytes = 64ull << 20;
  std::string cluster_name = "drl";
};

void add_storage_options(CLI::App* cmd, StorageArgs& args);
// Fills `out` from the flags; "" or a sentence saying which flag is wrong. `has_stable_id`:
// --id was given or --listen names a port (the durable backend's dir is tied to the id).
std::string storage_options_from(const StorageArgs& args, bool has_stable_id,
                                 node::StorageOptions& out);

}  // namespace drl::cli
