// The durable backend's I/O: appends the changes the table hands it (store/durable/
// change_log.h) to log segments in DIR, in groups, on a thread of its own, and takes
// snapshots on another so the log stays bounded.
//
// Groups: every `fsync.interval` the writer takes what was appended and writes it with one
// write(); a syncer thread fdatasyncs what was written meanwhile, so a slow sync delays
// neither the next write nor (for a kill -9) what survives (kNever: no sync; kAlways: a put()
// of a decision returns only once its bytes are synced, so a check is answered after its change
// is on disk; replica records do not wait).
// Write errors (a full disk, EIO): the group is dropped and counted, the error logged, the
// segment closed (a torn frame ends it) and a new one opened; the node keeps deciding from
// memory, and the next successful write triggers a snapshot so every key is on disk again.
// Snapshots: when the log since the last snapshot exceeds the larger of snapshot_log_bytes and
// the last snapshot's size, the writer opens segment n and a second thread writes every key
// of the table to snapshot-n; once it is complete and renamed, files numbered below n go.
//
// Ownership: borrows the table given to start() (for snapshots), which must outlive stop().
// Thread-safe: put()/erase() from any thread; start(), stop() and stats() from the node's thread.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "node/storage/storage.h"
#include "store/durable/change_log.h"
#include "store/store.h"

namespace drl::node {

struct LogWriterStats {
  std::atomic<uint64_t> records{0};  // frames written (puts and erases)
  std::atomic<uint64_t> bytes{0};    // log bytes written
  std::atomic<uint64_t> syncs{0};
  std::atomic<uint64_t> write_errors{0};
  std::atomic<uint64_t> dropped_records{0};  // in groups a write error dropped
  std::atomic<uint64_t> snapshots{0};
  std::atomic<uint64_t> snapshot_errors{0};
  std::atomic<uint64_t> last_snapshot_keys{0};
  std::atomic<uint64_t> last_snapshot_bytes{0};
};

class DurableLogWriter final : public store::durable::ChangeLog {
 public:
  DurableLogWriter(std::string dir, FsyncPolicy fsync, uint64_t snapshot_log_bytes);
  ~DurableLogWriter() override;
  DurableLogWriter(const DurableLogWriter&) = delete;
  DurableLogWriter& operator=(const DurableLogWriter&) = delete;

  // Opens segment `segment` (a number above every file already in DIR) and starts writing.
  // `snapshot_bytes`: the size of the snapshot loaded at start (0 if none); snapshots read
  // `table`. "" or the error.
  std::string start(uint64_t segment, uint64_t snapshot_bytes, const store::Store& table);
  // Writes and syncs everything appended so far, waits for a snapshot in progress, and stops.
  void stop();

  void put(const store::KeyRecord& record, Answer answer) override;
  void erase(std::string_view key, Answer answer) override;

  const LogWriterStats& stats() const { return stats_; }

 private:
  void append(Answer answer, const std::function<void(std::string&)>& encode);
  void run();
  // Writer thread only, below.
  // Writes a group to the current segment; false (counted, logged) if it could not.
  bool write_group(std::string& bytes, uint64_t frames);
  // Hands a written group to the syncer: `fd` a dup of its segment (-1: nothing to sync),
  // `ticket` the last append in it.
  void request_sync(int fd, uint64_t ticket);
  void sync_loop();  // the syncer thread
  bool open_segment(uint64_t n);
  void maybe_snapshot();
  void write_snapshot(uint64_t n);  // on the snapshot thread
  void finish_snapshot();
  void report_error(const std::string& what);

  const std::string dir_;
  const FsyncPolicy fsync_;
  const uint64_t snapshot_log_bytes_;
  const store::Store* table_ = nullptr;  // set by start()
  LogWriterStats stats_;

  std::mutex mu_;                   // guards the members below it, up to thread_
  std::condition_variable wake_;    // the writer: work or stop
  std::condition_variable synced_;  // kAlways appenders: their ticket is synced
  std::string pending_;
  uint64_t pending_frames_ = 0;
  uint64_t appended_ = 0;  // tickets handed out
  uint64_t synced_upto_ = 0;
  bool stopping_ = false;
  bool running_ = false;  // from start() until the writer's last sync
  std::thread thread_;

  // The syncer: fdatasyncs written groups while the writer writes the next ones.
  struct SyncRequest {
    int fd;
    uint64_t ticket;
  };
  std::mutex sync_mu_;  // guards sync_requests_ and sync_stopping_
  std::condition_variable sync_wake_;
  std::vector<SyncRequest> sync_requests_;
  bool sync_stopping_ = false;
  std::thread syncer_;
  std::atomic<bool> sync_failed_{false};  // a sync failed: the writer opens a new segment

  // The writer thread's own.
  int fd_ = -1;
  uint64_t segment_ = 0;
  uint64_t log_since_snapshot_ = 0;
  uint64_t last_snapshot_bytes_ = 0;
  bool snapshot_wanted_ = false;  // after a write error: put every key on disk again
  std::thread snapshotter_;
  uint64_t snapshot_segment_ = 0;
  std::atomic<bool> snapshot_done_{false};
  bool snapshot_ok_ = false;                // written by the snapshot thread before snapshot_done_
  std::atomic<int64_t> last_error_log_{0};  // steady seconds (any thread reports)
  int64_t last_snapshot_failure_ = 0;       // steady seconds; 0 = the last snapshot succeeded
};

}  // namespace drl::node
