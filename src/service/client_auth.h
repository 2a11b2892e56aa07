// Optional client authentication (`drl node --client-tokens-file FILE`): the tokens a node
// accepts, each with the name metrics and logs use for its client (never the token itself).
//
// File format: one client per line, either `TOKEN` or `NAME TOKEN`; blank lines and lines
// starting with `#` are ignored. A token is 16..256 printable ASCII characters without spaces;
// a name is 1..64 of [A-Za-z0-9_.-] (unnamed tokens are called `line-N`). Tokens and names
// are unique within a file.
//
// Only a BLAKE2b digest of each token is kept, and a presented token is looked up by comparing
// its digest with every entry in constant time (sodium_memcmp), so neither the match nor its
// position leaks through timing.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace drl::service {

inline constexpr size_t kMinClientTokenBytes = 16;
inline constexpr size_t kMaxClientTokenBytes = 256;

// One parsed token file. Immutable once parsed, except for the per-client counters (relaxed
// atomics shared with the set that replaces this one on reload). Thread-safe.
class ClientTokens {
 public:
  // Parses the text of a tokens file into `out`. Returns "" on success, else a sentence naming
  // the line at fault (never quoting a token).
  static std::string parse(std::string_view text, ClientTokens& out);

  // The index of the client holding `token`, or -1. Every entry is compared in full.
  int find(std::string_view token) const;
  size_t size() const { return entries_.size(); }
  const std::string& name(size_t i) const { return entries_[i].name; }
  // Requests accepted with client i's token since start (kept across reloads by name).
  uint64_t accepted(size_t i) const {
    return entries_[i].accepted->load(std::memory_order_relaxed);
  }
  void count_accepted(size_t i) const {
    entries_[i].accepted->fetch_add(1, std::memory_order_relaxed);
  }
  // Takes the counters of same-named clients from `previous`, so a reload does not reset them.
  void adopt_counters(const ClientTokens& previous);

 private:
  using Digest = std::array<uint8_t, 32>;
  struct Entry {
    Digest digest{};
    std::string name;
    std::shared_ptr<std::atomic<uint64_t>> accepted;
  };
  static Digest digest_of(std::string_view token);
  std::vector<Entry> entries_;
};

// The node's current token set, swapped whole on reload (SIGHUP) like the policies. Readers on
// every I/O thread call verify() concurrently with load()/reload() on the control thread.
class ClientAuth {
 public:
  // Reads and parses `path`; only a valid file becomes current. Returns "" or what is wrong.
  std::string load(const std::string& path);
  std::string reload();  // the file of the last successful load()
  const std::string& path() const { return path_; }

  // True when `token` is one of the current tokens (and counts the request for its client).
  bool verify(std::string_view token) const;
  std::shared_ptr<const ClientTokens> current() const {
    return current_.load(std::memory_order_acquire);
  }

 private:
  std::string path_;
  std::atomic<std::shared_ptr<const ClientTokens>> current_{std::make_shared<ClientTokens>()};
};

}  // namespace drl::service
