#include "cli/storage_args.h"

#include "limits/duration.h"

namespace drl::cli {

void add_storage_options(CLI::App* cmd, StorageArgs& a) {
  std::string names;
  for (const auto& n : node::storage_names()) names += (names.empty() ? "" : ", ") + n;
  cmd->add_option("--storage", a.storage,
                  "Storage backend: " + names +
                      ". durable also writes every change of a key whose window is >= "
                      "--durable-min-window to --data-dir, and loads it on start")
      ->capture_default_str();
  cmd->add_option("--data-dir", a.data_dir,
                  "Directory of the durable backend (one per node; created if missing)");
  cmd->add_option("--fsync-interval", a.fsync_interval,
                  "Durable log: write changes in groups this often, fdatasync beside (a kill -9 "
                  "loses at most the last interval, a power cut also the sync in progress); "
                  "'always' syncs before each answer (loses nothing, far slower); 'never' "
                  "writes every 10ms and lets the kernel sync (survives kill -9, not a power "
                  "cut)")
      ->capture_default_str();
  cmd->add_option("--durable-min-window", a.durable_min_window,
                  "Durable backend: limits with a shorter window are not written (0 = all); "
                  "calendar windows always are")
      ->capture_default_str();
  cmd->add_option("--snapshot-log-bytes", a.snapshot_log_bytes,
                  "Durable backend: snapshot once the log since the last snapshot exceeds this "
                  "(or the last snapshot's size, if larger)")
      ->check(CLI::Range(uint64_t{1} << 10, uint64_t{1} << 40))
      ->capture_default_str();
  cmd->add_option("--cluster-name", a.cluster_name,
                  "Name written into --data-dir with --id; a node refuses a data dir of "
                  "another cluster or node")
      ->capture_default_str();
}

std::string storage_options_from(const StorageArgs& a, bool has_stable_id,
                                 node::StorageOptions& out) {
  if (node::find_storage(a.storage) == nullptr) {
    std::string names;
    for (const auto& n : node::storage_names()) names += (names.empty() ? "" : ", ") + n;
    return "--storage: unknown backend '" + a.storage + "' (use one of: " + names + ")";
  }
  out.kind = a.storage;
  if (a.storage == "durable" && a.data_dir.empty()) {
    return "--storage durable needs --data-dir DIR (one directory per node)";
  }
  out.data_dir = a.data_dir;
  if (a.storage == "durable" && !has_stable_id) {
    return "--storage durable needs --id, or a --listen port other than 0 (the data dir is "
           "checked against the node's id, which defaults to HOST:PORT)";
  }
  std::string why;
  const auto fsync = node::parse_fsync_policy(a.fsync_interval, &why);
  if (!fsync) return why;
  out.fsync = *fsync;
  const auto window = limits::parse_duration(a.durable_min_window, &why);
  if (!window || *window < 0) return "--durable-min-window: " + why;
  out.min_window = *window;
  out.snapshot_log_bytes = a.snapshot_log_bytes;
  if (a.cluster_name.empty() || a.cluster_name.find('\n') != std::string::npos) {
    return "--cluster-name must be one non-empty line";
  }
  out.cluster_name = a.cluster_name;
  return "";
}

}  // namespace drl::cli
