// The durable backend as a node runs it: loads DIR into the table before the node decides
// anything, then writes every change that matters through a DurableLogWriter.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "node/storage/data_dir.h"
#include "node/storage/durable_log_writer.h"
#include "node/storage/storage.h"
#include "service/prometheus_text.h"
#include "store/durable/durable_store.h"
#include "store/durable/replay.h"

namespace drl::node {
namespace {

namespace durable = store::durable;

class DurableStorage final : public Storage {
 public:
  explicit DurableStorage(const StorageOptions& o)
      : options_(o),
        writer_(o.data_dir, o.fsync, o.snapshot_log_bytes),
        store_(store::StoreOptions{.shards = 64,
                                   .max_memory_bytes = o.max_memory_bytes,
                                   .on_memory_full = o.on_memory_full},
               writer_, durable::DurableOptions{o.min_window}) {}
  ~DurableStorage() override { close(); }

  store::Backend& backend() override { return store_; }
  std::string open(TimePoint now) override;
  void close() override {
    writer_.stop();
    if (lock_fd_ >= 0) ::close(lock_fd_);
    lock_fd_ = -1;
  }
  void render_metrics(service::PrometheusText& t) const override;

 private:
  // Replays one file; "" or why the node must not start.
  std::string load(const std::string& path, bool snapshot, TimePoint now, uint64_t& size);

  const StorageOptions options_;
  DurableLogWriter writer_;  // before store_, which appends to it
  durable::DurableStore store_;
  int lock_fd_ = -1;
  durable::ReplayCounts loaded_;
  double load_seconds_ = 0;
  uint64_t truncated_bytes_ = 0;
};

std::string DurableStorage::load(const std::string& path, bool snapshot, TimePoint now,
                                 uint64_t& size) {
  std::string bytes;
  if (auto err = read_whole_file(path, bytes); !err.empty()) return err;
  size = bytes.size();
  const durable::FileReplay r = snapshot
                                    ? durable::replay_snapshot(bytes, now, store_.table(), loaded_)
                                    : durable::replay_log(bytes, now, store_.table(), loaded_);
  if (!r.refused.empty()) {
    return path + " " + r.refused + " (move the data dir away to start empty, or run the drl " +
           "that wrote it)";
  }
  if (r.scan.problem.empty()) return "";
  if (snapshot) {
    spdlog::error(
        "durable: {}: {}; kept the {} intact records before it (keys written only "
        "there are lost)",
        path, r.scan.problem, r.scan.frames);
    return "";
  }
  // A crash mid-write leaves a torn last frame: cut it off so the next start reads clean.
  truncated_bytes_ += bytes.size() - r.scan.valid_bytes;
  spdlog::warn(
      "durable: {}: {}; kept the {} intact records before it and truncated the "
      "file from {} to {} bytes",
      path, r.scan.problem, r.scan.frames, bytes.size(), r.scan.valid_bytes);
  if (auto err = truncate_file(path, r.scan.valid_bytes); !err.empty()) spdlog::error("{}", err);
  return "";
}

std::string DurableStorage::open(TimePoint now) {
  if (options_.data_dir.empty()) return "--storage durable needs --data-dir DIR";
  const auto started = std::chrono::steady_clock::now();
  DataDirListing files;
  if (auto err = open_data_dir(options_.data_dir, options_.node_id, options_.cluster_name, lock_fd_,
                               files);
      !err.empty()) {
    return err;
  }
  uint64_t first_segment = 0;
  uint64_t snapshot_bytes = 0;
  if (!files.snapshots.empty()) {
    first_segment = files.snapshots.back();
    if (auto err = load(snapshot_path(options_.data_dir, first_segment), true, now, snapshot_bytes);
        !err.empty()) {
      return err;
    }
  }
  size_t segments = 0;
  for (const uint64_t n : files.segments) {
    if (n < first_segment) continue;  // in the snapshot already (a crash before their removal)
    uint64_t size = 0;
    if (auto err = load(segment_path(options_.data_dir, n), false, now, size); !err.empty()) {
      return err;
    }
    ++segments;
  }
  load_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const uint64_t next =
      std::max(files.segments.empty() ? 0 : files.segments.back(), first_segment) + 1;
  spdlog::info(
      "durable: loaded {} keys from {} ({} records, {} erasures, {} expired or older "
      "skipped; snapshot {}, {} log segments) in {:.3f} s; fsync {}",
      store_.table().stats().keys, options_.data_dir, loaded_.puts, loaded_.erases, loaded_.skipped,
      first_segment == 0 ? "none" : std::to_string(first_segment), segments, load_seconds_,
      options_.fsync.mode == FsyncPolicy::Mode::kAlways  ? "always"
      : options_.fsync.mode == FsyncPolicy::Mode::kNever ? "never"
                                                         : "every interval");
  return writer_.start(next, snapshot_bytes, store_.table());
}

void DurableStorage::render_metrics(service::PrometheusText& t) const {
  const LogWriterStats& s = writer_.stats();
  const auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  t.help("drl_durable_records_total", "counter", "Changes written to the durable log.");
  t.sample("drl_durable_records_total", {}, get(s.records));
  t.help("drl_durable_log_bytes_total", "counter", "Bytes written to the durable log.");
  t.sample("drl_durable_log_bytes_total", {}, get(s.bytes));
  t.help("drl_durable_syncs_total", "counter", "fdatasync calls on the durable log.");
  t.sample("drl_durable_syncs_total", {}, get(s.syncs));
  t.help("drl_durable_write_errors_total", "counter",
         "Failed writes or syncs of the durable log (the node keeps deciding from memory; the "
         "changes of the failed group reach the disk with the next snapshot).");
  t.sample("drl_durable_write_errors_total", {}, get(s.write_errors));
  t.help("drl_durable_dropped_records_total", "counter",
         "Changes in groups a write error dropped (not on disk until the next snapshot).");
  t.sample("drl_durable_dropped_records_total", {}, get(s.dropped_records));
  t.help("drl_durable_snapshots_total", "counter", "Snapshots written, by result.");
  t.sample("drl_durable_snapshots_total", {{"result", "ok"}}, get(s.snapshots));
  t.sample("drl_durable_snapshots_total", {{"result", "error"}}, get(s.snapshot_errors));
  t.help("drl_durable_snapshot_keys", "gauge", "Keys in the last snapshot written.");
  t.sample("drl_durable_snapshot_keys", {}, get(s.last_snapshot_keys));
  t.help("drl_durable_loaded_records", "gauge", "Records installed from the data dir at start.");
  t.sample("drl_durable_loaded_records", {}, loaded_.puts);
  t.help("drl_durable_load_seconds", "gauge", "Time the start took to load the data dir.");
  t.sample("drl_durable_load_seconds", {}, load_seconds_);
  t.help("drl_durable_truncated_bytes", "gauge",
         "Bytes of torn or corrupt log tails cut off at start.");
  t.sample("drl_durable_truncated_bytes", {}, truncated_bytes_);
}

}  // namespace

std::unique_ptr<Storage> make_durable_storage(const StorageOptions& options) {
  return std::make_unique<DurableStorage>(options);
}

}  // namespace drl::node
