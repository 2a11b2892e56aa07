#include "node/key_ring_file.h"

#include <fstream>
#include <sstream>

namespace drl::node {

Result<membership::KeyRing> read_key_ring_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status(ResultCode::kInvalidArgument, "cannot read " + path);
  std::stringstream contents;
  contents << f.rdbuf();
  auto ring = membership::parse_key_ring(contents.str());
  if (!ring) return Status(ResultCode::kInvalidArgument, path + ": " + ring.status().message());
  return ring;
}

std::string describe_key_ring(const membership::KeyRing& ring) {
  std::string text = std::to_string(ring.keys.size()) + (ring.keys.size() == 1 ? " key" : " keys") +
                     ", primary " + membership::key_fingerprint(ring.primary());
  for (size_t i = 1; i < ring.keys.size(); ++i) {
    text += (i == 1 ? ", also " : " ") + membership::key_fingerprint(ring.keys[i]);
  }
  return text;
}

}  // namespace drl::node
