// The output of one client connection (native or RESP session): replies are appended to
// pending() while at most one write is in flight; write_next() moves everything pending into
// flight with one async_write. Belongs to one session and is used on its I/O thread only; the
// completion handler given to write_next() must keep the session (and so this queue) alive.
#pragma once
#include <asio/buffer.hpp>
#include <asio/write.hpp>
#include <string>
#include <system_error>
#include <utility>

namespace drl::net {

class WriteQueue {
 public:
  // Where replies are appended.
  std::string& pending() { return pending_; }
  size_t pending_bytes() const { return pending_.size(); }
  bool writing() const { return writing_; }

  // Starts writing all pending bytes unless a write is in flight or nothing is pending;
  // returns whether it started one. `done(error_code)` runs once the bytes are written.
  template <typename Socket, typename Done>
  bool write_next(Socket& socket, Done done) {
    if (writing_ || pending_.empty()) return false;
    std::swap(pending_, inflight_);
    pending_.clear();
    writing_ = true;
    asio::async_write(socket, asio::buffer(inflight_),
                      [this, done = std::move(done)](std::error_code ec, size_t) mutable {
                        writing_ = false;
                        inflight_.clear();
                        done(ec);
                      });
    return true;
  }

 private:
  std::string pending_;
  std::string inflight_;  // being written; kept to reuse its capacity
  bool writing_ = false;
};

}  // namespace drl::net
