#include "service/frame.h"

namespace drl::service {

FrameView next_frame(std::span<const uint8_t> buffer, uint32_t max_frame_bytes) {
  FrameView view;
  if (buffer.size() < kFrameHeaderBytes) return view;
  view.announced = read_be32(buffer.data());
  if (view.announced > max_frame_bytes) {
    view.status = FrameStatus::kTooLarge;
    return view;
  }
  const size_t total = kFrameHeaderBytes + size_t{view.announced};
  if (buffer.size() < total) return view;
  view.status = FrameStatus::kComplete;
  view.payload = buffer.subspan(kFrameHeaderBytes, view.announced);
  view.consumed = total;
  return view;
}

}  // namespace drl::service
