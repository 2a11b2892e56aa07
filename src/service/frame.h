// The frame codec: a 4-byte big-endian length, then that many bytes of one protobuf
// message. Pure functions over bytes, no I/O; shared by the node, the client library and
// the CLI. Thread-safe (no state beyond the caller's buffers).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace drl::service {

inline constexpr size_t kFrameHeaderBytes = 4;
inline constexpr uint32_t kDefaultMaxFrameBytes = 1u << 20;  // 1 MiB of payload

// Magic first words of non-client connections on the shared port. A client's first word is
// a frame length (<= the 1 MiB limit), so it can never equal one of these.
inline constexpr uint32_t magic_of(const char (&s)[5]) {
  return (uint32_t(uint8_t(s[0])) << 24) | (uint32_t(uint8_t(s[1])) << 16) |
         (uint32_t(uint8_t(s[2])) << 8) | uint32_t(uint8_t(s[3]));
}
inline constexpr uint32_t kGossipMagic = magic_of("DRLG");
inline constexpr uint32_t kPeerMagic = magic_of("DRLP");
// A node's second connection to a peer, for checks and their answers (net/peer_link.h, lanes).
inline constexpr uint32_t kPeerCheckLaneMagic = magic_of("DRLL");

inline uint32_t read_be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
inline void write_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

enum class FrameStatus {
  kComplete,  // `payload` holds one whole frame; `consumed` bytes were used
  kNeedMore,  // not a whole frame yet; nothing consumed
  kTooLarge,  // the announced length is above the limit: the stream cannot continue
};

struct FrameView {
  FrameStatus status = FrameStatus::kNeedMore;
  std::span<const uint8_t> payload;  // borrows the caller's buffer
  size_t consumed = 0;
  uint32_t announced = 0;  // the length word, when at least 4 bytes were there
};

// Looks for one frame at the start of `buffer`. Never reads past it.
FrameView next_frame(std::span<const uint8_t> buffer, uint32_t max_frame_bytes);

// Appends a frame to `out`: reserves the 4-byte header, lets `write` append the payload
// (it must append exactly `size` bytes), then fills in the length. Returns false and leaves
// `out` unchanged when `size` is above `max_frame_bytes`.
template <typename Message>
bool append_frame(std::string& out, const Message& message,
                  uint32_t max_frame_bytes = kDefaultMaxFrameBytes) {
  const size_t size = message.ByteSizeLong();
  if (size > max_frame_bytes) return false;
  const size_t at = out.size();
  out.resize(at + kFrameHeaderBytes + size);
  auto* p = reinterpret_cast<uint8_t*>(out.data() + at);
  write_be32(p, static_cast<uint32_t>(size));
  message.SerializeWithCachedSizesToArray(p + kFrameHeaderBytes);
  return true;
}

}  // namespace drl::service
