#include "net/dated_receive.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace drl::net {
namespace {

// Longer than any request deadline (SessionLimits::max_timeout).
constexpr std::chrono::nanoseconds kMaxAge = std::chrono::seconds(60);

}  // namespace

bool enable_receive_dates(asio::ip::tcp::socket& socket) {
  const int on = 1;
  return ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
}

DatedReceive receive_dated(asio::ip::tcp::socket& socket, std::span<uint8_t> buffer,
                           std::chrono::steady_clock::time_point now) {
  DatedReceive r;
  r.read_at = now;
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(socket.native_handle(), &msg, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      r.would_block = true;
    } else {
      r.error = std::error_code(errno, std::system_category());
    }
    return r;
  }
  if (n == 0) {
    r.eof = !buffer.empty();
    return r;
  }
  r.bytes = static_cast<size_t>(n);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_TIMESTAMPNS) continue;
    timespec kernel;
    std::memcpy(&kernel, CMSG_DATA(c), sizeof kernel);
    timespec wall;
    ::clock_gettime(CLOCK_REALTIME, &wall);
    // How long ago, by the wall clock (the kernel's date is on it). A step of the wall clock
    // between the two readings would skew it: a date in the future counts as now, and no
    // age counts beyond kMaxAge.
    const auto age = std::chrono::seconds(wall.tv_sec - kernel.tv_sec) +
                     std::chrono::nanoseconds(wall.tv_nsec - kernel.tv_nsec);
    r.newest_arrival =
        now - std::clamp<std::chrono::nanoseconds>(age, std::chrono::nanoseconds(0), kMaxAge);
  }
  return r;
}

}  // namespace drl::net
