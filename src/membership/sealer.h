// Authenticated encryption of every byte nodes send each other (gossip packets, gossip sync
// frames, peer frames) under the cluster's key ring: libsodium's XChaCha20-Poly1305-IETF.
//
// Sealed bytes: a 24-byte nonce, the ciphertext, a 16-byte tag. A seal uses the ring's
// primary key; an open tries the primary, then the other keys of the ring (memberlist's
// keyring rule), so a key is rotated by adding it everywhere, making it primary everywhere,
// then removing the old one. The nonce is the sealer's 16-byte prefix (chosen at random by the
// node at start) followed by a 64-bit counter, so no two seals of one process share a nonce
// and the core needs no randomness of its own. `header` bytes (a format byte) are
// authenticated with the message but not encrypted.
//
// Thread-safety: every method may be called from any thread; set_ring() swaps the ring at
// once (a seal or open in progress finishes with the ring it started with).
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "membership/cluster_key.h"

namespace drl::membership {

class Sealer {
 public:
  static constexpr size_t kNonceBytes = 24;
  static constexpr size_t kTagBytes = 16;
  static constexpr size_t kOverhead = kNonceBytes + kTagBytes;
  using NoncePrefix = std::array<uint8_t, 16>;

  Sealer(KeyRing ring, NoncePrefix prefix);

  void set_ring(KeyRing ring);
  std::shared_ptr<const KeyRing> ring() const;

  // Appends `plain`, sealed, to `out` (kOverhead bytes more than `plain`). Neither `header`
  // nor `plain` may point into `out`.
  void seal(std::string_view header, std::string_view plain, std::string& out) const;
  // Opens `sealed` (nonce, ciphertext, tag) in place with the first key of the ring that
  // opens it. The plaintext, a view into `sealed`; nullopt when no key opens it (another
  // key, tampered or truncated bytes).
  std::optional<std::string_view> open(std::string_view header, std::span<char> sealed) const;

 private:
  NoncePrefix prefix_;
  mutable std::atomic<uint64_t> counter_{0};
  mutable std::mutex mu_;
  std::shared_ptr<const KeyRing> ring_;  // guarded by mu_ (the pointer; the ring is immutable)
};

}  // namespace drl::membership
