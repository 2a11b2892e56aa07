// A node's storage backend as the daemon runs it: the store::Backend the deciders use, plus
// what the node does with it around serving (load before deciding, flush on stop, metrics).
// Backends are registered by name in backends.cpp and chosen with `--storage NAME`.
// Ownership: the Node owns its Storage; backend() lives as long as the Storage.
// open() and close() are called once each, from the node's main thread; backend() may be
// used from any thread between them.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "store/backend.h"

namespace drl::service {
class PrometheusText;
}  // namespace drl::service

namespace drl::node {

// When the durable log reaches the disk: every `interval` (a group of changes per write and
// fdatasync), on every change before its check is answered (always), or when the kernel
// chooses (never: written every `interval`, never synced).
struct FsyncPolicy {
  enum class Mode { kInterval, kAlways, kNever };
  Mode mode = Mode::kInterval;
  Nanos interval = 10 * kMillisecond;
};
// Reads "always", "never" or a duration ("10ms"); nullopt and `error` set on anything else.
std::optional<FsyncPolicy> parse_fsync_policy(std::string_view text, std::string* error);

struct StorageOptions {
  std::string kind = "memory";  // a registered name (storage_names())
  size_t max_memory_bytes = 0;  // the store's budget (0 = unbounded)
  // What a full budget does to a new key when the check's policy does not say (store.h).
  limits::MemoryFullMode on_memory_full = limits::MemoryFullMode::kRefuse;
  // Durable backend.
  std::string data_dir;
  std::string node_id;       // written into the data dir, checked on every start
  std::string cluster_name;  // likewise
  FsyncPolicy fsync;
  Nanos min_window = 60 * kSecond;  // shorter limits are not written (store/durable)
  // A snapshot is taken when the log written since the last one exceeds the larger of this
  // and the last snapshot's size.
  uint64_t snapshot_log_bytes = 64ull << 20;
};

class Storage {
 public:
  virtual ~Storage() = default;
  virtual store::Backend& backend() = 0;
  // Before the node decides anything: loads what the backend kept. Returns "" or why the
  // node must not start (the node logs it and exits 2).
  virtual std::string open(TimePoint now) = 0;
  // After the node stopped deciding: makes everything kept durable.
  virtual void close() = 0;
  // Lines for `drl status`-like logs and the metrics page.
  virtual void render_metrics(service::PrometheusText& out) const = 0;
};

using StorageFactory = std::unique_ptr<Storage> (*)(const StorageOptions&);

// The factory registered as `name`, or nullptr.
StorageFactory find_storage(std::string_view name);
// Every registered name, for --help and error messages.
std::vector<std::string> storage_names();

// The backends (one factory each, registered in backends.cpp).
std::unique_ptr<Storage> make_memory_storage(const StorageOptions& options);
std::unique_ptr<Storage> make_durable_storage(const StorageOptions& options);

}  // namespace drl::node
