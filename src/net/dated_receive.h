// Reads from a TCP socket together with when the kernel received the newest of the bytes
// read (SO_TIMESTAMPNS), so a reader can date data by its arrival rather than by when its
// busy or descheduled thread got round to reading it: client sessions date requests this
// way for admission control, and `drl bench` dates answers. The asynchronous form also
// tries every read at once, where asio's async_read_some, after a read that drained the
// socket, waits for the reactor (polled once per pass through a busy thread's handlers).
// I/O shell only.
#pragma once
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <utility>

namespace drl::net {

// Asks the kernel to date received data on `socket`. False when it refused (reads then
// carry no date and callers fall back to their own estimate).
bool enable_receive_dates(asio::ip::tcp::socket& socket);

struct DatedReceive {
  std::chrono::steady_clock::time_point read_at;  // when the read was made
  size_t bytes = 0;
  bool would_block = false;  // nothing to read now: wait for readiness, then try again
  bool eof = false;          // the peer closed its side
  std::error_code error;     // any other failure
  // When the kernel received the newest byte of this read, on the steady clock, no later
  // than `now`; empty when the kernel gave no date.
  std::optional<std::chrono::steady_clock::time_point> newest_arrival;
};

// One non-blocking recvmsg() into `buffer`. `now` is the caller's steady-clock reading,
// used to carry the kernel's wall-clock date over to the steady clock.
DatedReceive receive_dated(asio::ip::tcp::socket& socket, std::span<uint8_t> buffer,
                           std::chrono::steady_clock::time_point now);

// Like socket.async_read_some, with the kernel's date: reads at once if bytes are there,
// otherwise once the socket is readable, and calls done(const DatedReceive&) on the
// socket's executor, never inside this call. `buffer` and the socket must outlive the call
// (`done` owning the socket's owner is enough: a closed socket completes with an error).
template <typename Done>
void async_receive_dated(asio::ip::tcp::socket& socket, std::span<uint8_t> buffer, Done&& done);

// ---- implementation ----
namespace detail {
template <typename Done>
void receive_when_readable(asio::ip::tcp::socket& socket, std::span<uint8_t> buffer, Done done) {
  socket.async_wait(asio::ip::tcp::socket::wait_read,
                    [&socket, buffer, done = std::move(done)](std::error_code ec) mutable {
                      DatedReceive r;
                      if (ec) {
                        r.error = ec;
                      } else {
                        r = receive_dated(socket, buffer, std::chrono::steady_clock::now());
                        if (r.would_block) {  // woken without bytes after all
                          receive_when_readable(socket, buffer, std::move(done));
                          return;
                        }
                      }
                      done(std::as_const(r));
                    });
}
}  // namespace detail

template <typename Done>
void async_receive_dated(asio::ip::tcp::socket& socket, std::span<uint8_t> buffer, Done&& done) {
  // Try first: the socket is edge-triggered in asio's reactor, so a wait is only safe once
  // a read has found it empty.
  const DatedReceive r = receive_dated(socket, buffer, std::chrono::steady_clock::now());
  if (r.would_block) {
    detail::receive_when_readable(socket, buffer, std::forward<Done>(done));
    return;
  }
  asio::post(socket.get_executor(),
             [r, done = std::forward<Done>(done)]() mutable { done(std::as_const(r)); });
}

}  // namespace drl::net
