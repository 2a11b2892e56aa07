#include "membership/cluster_key.h"

#include <cctype>

namespace drl::membership {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

ClusterKeyResult parse_cluster_key(std::string_view contents) {
  ClusterKeyResult result;
  if (contents.size() == kClusterKeyBytes) {
    ClusterKey key;
    for (size_t i = 0; i < kClusterKeyBytes; ++i) key[i] = static_cast<uint8_t>(contents[i]);
    result.key = key;
    return result;
  }
  while (!contents.empty() && std::isspace(static_cast<unsigned char>(contents.front()))) {
    contents.remove_prefix(1);
  }
  while (!contents.empty() && std::isspace(static_cast<unsigned char>(contents.back()))) {
    contents.remove_suffix(1);
  }
  if (contents.size() != 2 * kClusterKeyBytes) {
    result.error =
        "cluster key must be 32 raw bytes or 64 hex digits (e.g. `openssl rand -hex 32`)";
    return result;
  }
  ClusterKey key;
  for (size_t i = 0; i < kClusterKeyBytes; ++i) {
    const int hi = hex_value(contents[2 * i]);
    const int lo = hex_value(contents[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      result.error = "cluster key has a non-hex character; expected 64 hex digits";
      return result;
    }
    key[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  result.key = key;
  return result;
}

}  // namespace drl::membership
