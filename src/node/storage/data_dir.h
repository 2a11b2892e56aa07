// The files of a durable data dir (docs/operations.md "Data dir"):
//   IDENTITY                 which cluster and node the dir belongs to, and its format
//   LOCK                     held (flock) by the node using the dir
//   snapshot-<16 hex>        every key at the moment log segment <n> was opened
//   log-<16 hex>             changes, in segments; a start replays the newest snapshot and the
//                            segments from its number on, then opens a new segment
// File-system helpers for node/storage/durable_storage.cpp; errors are returned as sentences.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace drl::node {

std::string segment_path(const std::string& dir, uint64_t n);
std::string snapshot_path(const std::string& dir, uint64_t n);

struct DataDirListing {
  std::vector<uint64_t> segments;   // ascending
  std::vector<uint64_t> snapshots;  // ascending
};
// Creates `dir` if missing, takes its lock (kept in `lock_fd` until closed) and checks or
// writes its IDENTITY. "" or why the node must not use the dir.
std::string open_data_dir(const std::string& dir, const std::string& node_id,
                          const std::string& cluster_name, int& lock_fd, DataDirListing& files);

// The numbered files in `dir`. "" or the error.
std::string list_data_files(const std::string& dir, DataDirListing& files);
// The whole file; "" or the error.
std::string read_whole_file(const std::string& path, std::string& out);
// Cuts `path` to `size` bytes and syncs it. "" or the error.
std::string truncate_file(const std::string& path, uint64_t size);
// Syncs the directory itself (after a create, rename or unlink). "" or the error.
std::string sync_dir(const std::string& dir);
// Replaces `path` (in `dir`, created if missing) with `bytes` atomically: a synced temporary
// file renamed over it, then the dir synced. "" or the error.
std::string replace_file(const std::string& dir, const std::string& path, std::string_view bytes);

}  // namespace drl::node
