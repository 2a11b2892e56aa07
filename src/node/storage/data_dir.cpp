#include "node/storage/data_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "store/durable/record_codec.h"

namespace drl::node {
namespace {

std::string errno_text() { return std::strerror(errno); }

std::string numbered(const std::string& dir, const char* prefix, uint64_t n) {
  char name[48];
  std::snprintf(name, sizeof name, "%s-%016" PRIx64, prefix, n);
  return dir + "/" + name;
}

bool parse_numbered(const std::string& name, const std::string& prefix, uint64_t& n) {
  if (name.size() != prefix.size() + 1 + 16 || name.compare(0, prefix.size(), prefix) != 0 ||
      name[prefix.size()] != '-') {
    return false;
  }
  n = 0;
  for (size_t i = prefix.size() + 1; i < name.size(); ++i) {
    const char c = name[i];
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (d < 0) return false;
    n = (n << 4) | static_cast<uint64_t>(d);
  }
  return true;
}

std::string identity_text(const std::string& node_id, const std::string& cluster_name) {
  return "drl data dir\nformat " + std::to_string(store::durable::kFormatVersion) + "\ncluster " +
         cluster_name + "\nnode " + node_id + "\n";
}

std::string field(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return line.substr(name.size() + 1);
  }
  return "";
}

}  // namespace

std::string segment_path(const std::string& dir, uint64_t n) { return numbered(dir, "log", n); }
std::string snapshot_path(const std::string& dir, uint64_t n) {
  return numbered(dir, "snapshot", n);
}

std::string open_data_dir(const std::string& dir, const std::string& node_id,
                          const std::string& cluster_name, int& lock_fd, DataDirListing& files) {
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return "cannot create data dir " + dir + ": " + errno_text();
  }
  lock_fd = ::open((dir + "/LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (lock_fd < 0) return "cannot open " + dir + "/LOCK: " + errno_text();
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return "data dir " + dir + " is in use by another process (" + dir + "/LOCK is locked)";
  }
  if (auto err = list_data_files(dir, files); !err.empty()) return err;
  const bool has_identity = ::access((dir + "/IDENTITY").c_str(), F_OK) == 0;
  const std::string identity_path = dir + "/IDENTITY";
  if (!has_identity) {
    if (!files.segments.empty() || !files.snapshots.empty()) {
      return "data dir " + dir + " holds drl logs or snapshots but no IDENTITY file: refusing " +
             "to guess whose they are (restore IDENTITY from a backup, or move the dir away)";
    }
    const std::string tmp = identity_path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << identity_text(node_id, cluster_name);
      if (!out.flush()) return "cannot write " + tmp + ": " + errno_text();
    }
    if (::rename(tmp.c_str(), identity_path.c_str()) != 0) {
      return "cannot create " + identity_path + ": " + errno_text();
    }
    return sync_dir(dir);
  }
  std::string text;
  if (auto err = read_whole_file(identity_path, text); !err.empty()) return err;
  if (text.rfind("drl data dir\n", 0) != 0) {
    return identity_path + " is not a drl IDENTITY file";
  }
  const std::string format = field(text, "format");
  if (format != std::to_string(store::durable::kFormatVersion)) {
    return "data dir " + dir + " has format version " + (format.empty() ? "?" : format) +
           "; this drl reads version " + std::to_string(store::durable::kFormatVersion) +
           " (run the drl that wrote it, or move the dir away to start empty)";
  }
  const std::string cluster = field(text, "cluster");
  const std::string node = field(text, "node");
  if (cluster != cluster_name || node != node_id) {
    return "data dir " + dir + " belongs to node '" + node + "' of cluster '" + cluster +
           "', not to node '" + node_id + "' of cluster '" + cluster_name +
           "' (give each node its own --data-dir, keep --id and --cluster-name as they were, " +
           "or move the dir away to start empty)";
  }
  return "";
}

std::string list_data_files(const std::string& dir, DataDirListing& files) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return "cannot list data dir " + dir + ": " + errno_text();
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    uint64_t n = 0;
    if (parse_numbered(name, "log", n)) files.segments.push_back(n);
    if (parse_numbered(name, "snapshot", n)) files.snapshots.push_back(n);
  }
  ::closedir(d);
  std::sort(files.segments.begin(), files.segments.end());
  std::sort(files.snapshots.begin(), files.snapshots.end());
  return "";
}

std::string read_whole_file(const std::string& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot open " + path + ": " + errno_text();
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string err = "cannot read " + path + ": " + errno_text();
      ::close(fd);
      return err;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return "";
}

std::string truncate_file(const std::string& path, uint64_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return "cannot open " + path + ": " + errno_text();
  std::string err;
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0 || ::fdatasync(fd) != 0) {
    err = "cannot truncate " + path + ": " + errno_text();
  }
  ::close(fd);
  return err;
}

std::string sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return "cannot open " + dir + ": " + errno_text();
  std::string err;
  if (::fsync(fd) != 0) err = "cannot sync " + dir + ": " + errno_text();
  ::close(fd);
  return err;
}

std::string replace_file(const std::string& dir, const std::string& path, std::string_view bytes) {
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return "cannot create " + dir + ": " + errno_text();
  }
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return "cannot create " + tmp + ": " + errno_text();
  std::string err;
  for (size_t done = 0; done < bytes.size() && err.empty();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno != EINTR) err = "cannot write " + tmp + ": " + errno_text();
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (err.empty() && ::fsync(fd) != 0) err = "cannot sync " + tmp + ": " + errno_text();
  ::close(fd);
  if (err.empty() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    err = "cannot replace " + path + ": " + errno_text();
  }
  return err.empty() ? sync_dir(dir) : err;
}

}  // namespace drl::node
