#include "node/storage/durable_log_writer.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "node/storage/data_dir.h"
#include "store/durable/record_codec.h"

namespace drl::node {
namespace {

namespace durable = store::durable;
constexpr size_t kSnapshotChunk = 1 << 20;
constexpr int64_t kErrorLogEverySeconds = 10;
constexpr int64_t kSnapshotRetrySeconds = 10;

// Writes all of `bytes`; "" or the error.
std::string write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::strerror(errno);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return "";
}

int64_t steady_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DurableLogWriter::DurableLogWriter(std::string dir, FsyncPolicy fsync, uint64_t snapshot_log_bytes)
    : dir_(std::move(dir)), fsync_(fsync), snapshot_log_bytes_(snapshot_log_bytes) {}

DurableLogWriter::~DurableLogWriter() { stop(); }

std::string DurableLogWriter::start(uint64_t segment, uint64_t snapshot_bytes,
                                    const store::Store& table) {
  table_ = &table;
  last_snapshot_bytes_ = snapshot_bytes;
  if (!open_segment(segment)) return "cannot open " + segment_path(dir_, segment) + " for writing";
  {
    std::lock_guard lock(mu_);
    running_ = true;
  }
  if (fsync_.mode != FsyncPolicy::Mode::kNever) syncer_ = std::thread([this] { sync_loop(); });
  thread_ = std::thread([this] { run(); });
  return "";
}

void DurableLogWriter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DurableLogWriter::put(const store::KeyRecord& record, Answer answer) {
  append(answer, [&](std::string& out) { durable::append_put(out, record); });
}

void DurableLogWriter::erase(std::string_view key, Answer answer) {
  append(answer, [&](std::string& out) { durable::append_erase(out, key); });
}

void DurableLogWriter::append(Answer answer, const std::function<void(std::string&)>& encode) {
  std::unique_lock lock(mu_);
  if (!running_) return;  // stopped: the node decides nothing any more
  encode(pending_);
  ++pending_frames_;
  const uint64_t ticket = ++appended_;
  if (fsync_.mode != FsyncPolicy::Mode::kAlways) return;
  wake_.notify_one();  // always: the writer syncs as soon as there is anything
  if (answer != Answer::kWaits) return;
  synced_.wait(lock, [&] { return synced_upto_ >= ticket || !running_; });
}

void DurableLogWriter::run() {
  const auto interval = std::chrono::nanoseconds(fsync_.interval);
  std::string group;
  for (;;) {
    uint64_t frames = 0;
    uint64_t ticket = 0;
    bool last = false;
    {
      std::unique_lock lock(mu_);
      if (fsync_.mode == FsyncPolicy::Mode::kAlways) {
        wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      } else {
        wake_.wait_for(lock, interval, [&] { return stopping_; });
      }
      group.swap(pending_);
      frames = pending_frames_;
      pending_frames_ = 0;
      ticket = appended_;
      last = stopping_;
    }
    if (!group.empty()) {
      const bool written = write_group(group, frames);
      // The sync runs on the syncer thread, so the next group is written (and survives a
      // kill -9) while this one syncs. A group that failed only releases its waiters.
      if (fsync_.mode == FsyncPolicy::Mode::kNever) {
        std::lock_guard lock(mu_);
        synced_upto_ = ticket;
      } else {
        request_sync(written ? ::dup(fd_) : -1, ticket);
      }
    }
    group.clear();
    if (sync_failed_.exchange(false, std::memory_order_relaxed) && fd_ >= 0) {
      ::close(fd_);  // what it holds may not be on disk: go on in a new segment
      fd_ = -1;
      snapshot_wanted_ = true;
    }
    if (last) break;
    maybe_snapshot();
  }
  if (snapshotter_.joinable()) snapshotter_.join();
  if (snapshot_segment_ != 0) finish_snapshot();
  if (syncer_.joinable()) {
    {
      std::lock_guard lock(sync_mu_);
      sync_stopping_ = true;
    }
    sync_wake_.notify_all();
    syncer_.join();
  }
  if (fd_ >= 0) {
    if (::fdatasync(fd_) != 0) report_error("cannot sync " + segment_path(dir_, segment_));
    ::close(fd_);
    fd_ = -1;
  }
  {
    // Appenders waiting for a sync that will never come are let go.
    std::lock_guard lock(mu_);
    synced_upto_ = appended_;
    running_ = false;
  }
  synced_.notify_all();
}

void DurableLogWriter::request_sync(int fd, uint64_t ticket) {
  {
    std::lock_guard lock(sync_mu_);
    sync_requests_.push_back({fd, ticket});
  }
  sync_wake_.notify_one();
}

void DurableLogWriter::sync_loop() {
  std::vector<SyncRequest> batch;
  for (;;) {
    {
      std::unique_lock lock(sync_mu_);
      sync_wake_.wait(lock, [&] { return sync_stopping_ || !sync_requests_.empty(); });
      if (sync_requests_.empty()) return;
      batch.swap(sync_requests_);
    }
    uint64_t ticket = 0;
    for (const SyncRequest& r : batch) {
      // Each request holds its own descriptor of the segment it was written to, so a
      // segment closed by the writer meanwhile is still synced.
      if (r.fd >= 0) {
        if (::fdatasync(r.fd) != 0) {
          stats_.write_errors.fetch_add(1, std::memory_order_relaxed);
          sync_failed_.store(true, std::memory_order_relaxed);
          report_error(std::string("cannot sync the log: ") + std::strerror(errno) +
                       "; still deciding from memory, a snapshot will follow");
        } else {
          stats_.syncs.fetch_add(1, std::memory_order_relaxed);
        }
        ::close(r.fd);
      }
      ticket = std::max(ticket, r.ticket);
    }
    batch.clear();
    {
      std::lock_guard lock(mu_);
      synced_upto_ = std::max(synced_upto_, ticket);
    }
    synced_.notify_all();
  }
}

bool DurableLogWriter::write_group(std::string& bytes, uint64_t frames) {
  if (fd_ < 0 && !open_segment(segment_ + 1)) {
    stats_.dropped_records.fetch_add(frames, std::memory_order_relaxed);
    return false;
  }
  std::string err = write_all(fd_, bytes);
  if (!err.empty()) {
    stats_.write_errors.fetch_add(1, std::memory_order_relaxed);
    stats_.dropped_records.fetch_add(frames, std::memory_order_relaxed);
    report_error("cannot write " + std::to_string(frames) + " changes to " +
                 segment_path(dir_, segment_) + ": " + err +
                 "; still deciding from memory, those changes are not on disk until the next "
                 "snapshot");
    ::close(fd_);  // a torn frame may end it: later groups go to a new segment
    fd_ = -1;
    snapshot_wanted_ = true;
    return false;
  }
  stats_.records.fetch_add(frames, std::memory_order_relaxed);
  stats_.bytes.fetch_add(bytes.size(), std::memory_order_relaxed);
  log_since_snapshot_ += bytes.size();
  return true;
}

bool DurableLogWriter::open_segment(uint64_t n) {
  const std::string path = segment_path(dir_, n);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    report_error("cannot create " + path + ": " + std::strerror(errno));
    return false;
  }
  std::string header;
  durable::append_header(header, durable::FileKind::kLog);
  if (auto err = write_all(fd, header); !err.empty() || ::fdatasync(fd) != 0) {
    report_error("cannot write " + path + ": " + (err.empty() ? std::strerror(errno) : err));
    ::close(fd);
    ::unlink(path.c_str());
    return false;
  }
  if (auto err = sync_dir(dir_); !err.empty()) report_error(err);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  segment_ = n;
  return true;
}

void DurableLogWriter::maybe_snapshot() {
  if (snapshot_segment_ != 0) {
    if (!snapshot_done_.load(std::memory_order_acquire)) return;
    snapshotter_.join();
    finish_snapshot();
  }
  const uint64_t due = std::max(snapshot_log_bytes_, last_snapshot_bytes_);
  // After a failed snapshot (a full disk) the next try waits a while: each reads every key.
  const bool retry_due = last_snapshot_failure_ == 0 ||
                         steady_seconds() - last_snapshot_failure_ >= kSnapshotRetrySeconds;
  if (!(snapshot_wanted_ && fd_ >= 0 && retry_due) && log_since_snapshot_ <= due) return;
  // Changes appended from here on go to the new segment; the snapshot holds every change
  // that went before it (the table has them by the time the snapshot reads it).
  if (!open_segment(segment_ + 1)) return;
  snapshot_wanted_ = false;
  log_since_snapshot_ = 0;
  snapshot_segment_ = segment_;
  snapshot_done_.store(false, std::memory_order_relaxed);
  snapshotter_ = std::thread([this, n = segment_] { write_snapshot(n); });
}

void DurableLogWriter::write_snapshot(uint64_t n) {
  const std::string path = snapshot_path(dir_, n);
  const std::string tmp = path + ".tmp";
  std::string err;
  uint64_t keys = 0;
  uint64_t size = 0;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    err = std::strerror(errno);
  } else {
    std::string buf;
    durable::append_header(buf, durable::FileKind::kSnapshot);
    table_->for_each_in_hash_range(0, ~uint64_t{0}, [&](const store::KeyRecord& r) {
      durable::append_put(buf, r);
      ++keys;
      if (buf.size() >= kSnapshotChunk && err.empty()) {
        err = write_all(fd, buf);
        size += buf.size();
        buf.clear();
      }
    });
    durable::append_end(buf, keys);
    if (err.empty()) err = write_all(fd, buf);
    size += buf.size();
    if (err.empty() && ::fdatasync(fd) != 0) err = std::strerror(errno);
    ::close(fd);
    if (err.empty() && ::rename(tmp.c_str(), path.c_str()) != 0) err = std::strerror(errno);
  }
  if (err.empty()) err = sync_dir(dir_);
  if (!err.empty()) {
    ::unlink(tmp.c_str());
    stats_.snapshot_errors.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("durable: cannot write snapshot {}: {}; the log segments before it are kept",
                  path, err);
  } else {
    stats_.last_snapshot_keys.store(keys, std::memory_order_relaxed);
    stats_.last_snapshot_bytes.store(size, std::memory_order_relaxed);
    stats_.snapshots.fetch_add(1, std::memory_order_relaxed);
  }
  snapshot_ok_ = err.empty();
  snapshot_done_.store(true, std::memory_order_release);
}

void DurableLogWriter::finish_snapshot() {
  const uint64_t n = snapshot_segment_;
  snapshot_segment_ = 0;
  if (!snapshot_ok_) {
    snapshot_wanted_ = true;  // try again, kSnapshotRetrySeconds from now
    last_snapshot_failure_ = steady_seconds();
    return;
  }
  last_snapshot_failure_ = 0;
  last_snapshot_bytes_ = stats_.last_snapshot_bytes.load(std::memory_order_relaxed);
  // Everything numbered below n is in snapshot-n now.
  DataDirListing files;
  if (auto err = list_data_files(dir_, files); !err.empty()) return report_error(err);
  for (const uint64_t s : files.segments) {
    if (s < n) ::unlink(segment_path(dir_, s).c_str());
  }
  for (const uint64_t s : files.snapshots) {
    if (s < n) ::unlink(snapshot_path(dir_, s).c_str());
  }
  if (auto err = sync_dir(dir_); !err.empty()) report_error(err);
  spdlog::info("durable: snapshot {} holds {} keys ({} bytes)", snapshot_path(dir_, n),
               stats_.last_snapshot_keys.load(std::memory_order_relaxed), last_snapshot_bytes_);
}

void DurableLogWriter::report_error(const std::string& what) {
  const int64_t now = steady_seconds();
  const int64_t last = last_error_log_.load(std::memory_order_relaxed);
  if (last != 0 && now - last < kErrorLogEverySeconds) return;
  last_error_log_.store(now, std::memory_order_relaxed);
  spdlog::error("durable: {} (drl_durable_write_errors_total counts every one)", what);
}

}  // namespace drl::node
