#include "membership/sealer.h"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace drl::membership {

static_assert(Sealer::kNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(Sealer::kTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kClusterKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

Sealer::Sealer(KeyRing ring, NoncePrefix prefix)
    : prefix_(prefix), ring_(std::make_shared<const KeyRing>(std::move(ring))) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

void Sealer::set_ring(KeyRing ring) {
  auto next = std::make_shared<const KeyRing>(std::move(ring));
  std::lock_guard lock(mu_);
  ring_ = std::move(next);
}

std::shared_ptr<const KeyRing> Sealer::ring() const {
  std::lock_guard lock(mu_);
  return ring_;
}

void Sealer::seal(std::string_view header, std::string_view plain, std::string& out) const {
  const auto ring = this->ring();
  unsigned char nonce[kNonceBytes];
  std::memcpy(nonce, prefix_.data(), prefix_.size());
  const uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed);
  std::memcpy(nonce + prefix_.size(), &n, sizeof n);
  const size_t at = out.size();
  out.resize(at + kOverhead + plain.size());
  auto* dst = reinterpret_cast<unsigned char*>(out.data() + at);
  std::memcpy(dst, nonce, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      dst + kNonceBytes, &written, reinterpret_cast<const unsigned char*>(plain.data()),
      plain.size(), reinterpret_cast<const unsigned char*>(header.data()), header.size(), nullptr,
      nonce, ring->primary().data());
}

std::optional<std::string_view> Sealer::open(std::string_view header,
                                             std::span<char> sealed) const {
  if (sealed.size() < kOverhead) return std::nullopt;
  const auto ring = this->ring();
  auto* bytes = reinterpret_cast<unsigned char*>(sealed.data());
  const size_t cipher_len = sealed.size() - kNonceBytes;
  const size_t plain_len = cipher_len - kTagBytes;
  const auto* ad = reinterpret_cast<const unsigned char*>(header.data());
  auto* cipher = bytes + kNonceBytes;
  const auto* tag = cipher + plain_len;
  for (size_t i = 0; i < ring->keys.size(); ++i) {
    const ClusterKey& key = ring->keys[i];
    // Before the last key, verify only (no output) first: on a failure libsodium zeroes its
    // output, which would destroy the ciphertext in place for the next key. Then decrypt in
    // place (a ring of one key, the usual case, verifies once).
    const bool last = i + 1 == ring->keys.size();
    if (!last &&
        crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
            nullptr, nullptr, cipher, plain_len, tag, ad, header.size(), bytes, key.data()) != 0) {
      continue;
    }
    if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
            cipher, nullptr, cipher, plain_len, tag, ad, header.size(), bytes, key.data()) != 0) {
      return std::nullopt;
    }
    return std::string_view(sealed.data() + kNonceBytes, plain_len);
  }
  return std::nullopt;
}

}  // namespace drl::membership
