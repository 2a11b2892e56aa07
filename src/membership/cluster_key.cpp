#include "membership/cluster_key.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>

#include "common/config_lines.h"

namespace drl::membership {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status line_error(size_t line, const std::string& what) {
  return Status(ResultCode::kInvalidArgument,
                "line " + std::to_string(line) + ": " + what +
                    "; expected one key per line as 64 hex digits (e.g. `openssl rand -hex 32`)");
}

bool is_hex_key(std::string_view s) {
  return s.size() == 2 * kClusterKeyBytes &&
         std::all_of(s.begin(), s.end(), [](char c) { return hex_value(c) >= 0; });
}

// Adds the key a line of the key ring holds (64 hex digits), or says what is wrong with it.
Status add_key(KeyRing& ring, size_t line_no, std::string_view line) {
  if (line.size() != 2 * kClusterKeyBytes) {
    return line_error(line_no, "a key of " + std::to_string(line.size()) + " characters");
  }
  ClusterKey key;
  for (size_t i = 0; i < kClusterKeyBytes; ++i) {
    const int hi = hex_value(line[2 * i]);
    const int lo = hex_value(line[2 * i + 1]);
    if (hi < 0 || lo < 0) return line_error(line_no, "a non-hex character");
    key[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  if (std::find(ring.keys.begin(), ring.keys.end(), key) != ring.keys.end()) {
    return line_error(line_no, "the same key twice");
  }
  if (ring.keys.size() == kMaxRingKeys) {
    return line_error(line_no, "more than " + std::to_string(kMaxRingKeys) + " keys");
  }
  ring.keys.push_back(key);
  return Status::ok();
}

}  // namespace

Result<KeyRing> parse_key_ring(std::string_view contents) {
  KeyRing ring;
  if (contents.size() == kClusterKeyBytes && !is_hex_key(config_lines::trim(contents))) {
    ClusterKey key;
    std::copy(contents.begin(), contents.end(), key.begin());
    ring.keys.push_back(key);
    return ring;
  }
  Status failed = Status::ok();
  config_lines::for_each(contents, [&](size_t line_no, std::string_view line) -> std::string {
    failed = add_key(ring, line_no, line);
    return failed.is_ok() ? "" : "stop";
  });
  if (!failed.is_ok()) return failed;
  if (ring.keys.empty()) {
    return Status(ResultCode::kInvalidArgument,
                  "no key; expected one key per line as 64 hex digits (e.g. `openssl rand -hex "
                  "32`)");
  }
  return ring;
}

std::string key_fingerprint(const ClusterKey& key) {
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, key.data(), key.size(), nullptr, 0);
  char text[9];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x", hash[0], hash[1], hash[2], hash[3]);
  return text;
}

}  // namespace drl::membership
