#include "client/node_link.h"

#include <asio/ssl/error.hpp>

#include <asio/connect.hpp>
#include <asio/write.hpp>
#include <cstring>

#include "common/host_port.h"
#include "service/frame.h"

namespace drl::client {

Result<Endpoint> parse_endpoint(const std::string& text) {
  auto parsed = parse_host_port(text);
  if (!parsed) return parsed.status();
  return Endpoint{std::move(parsed->host), parsed->port, text};
}

NodeLink::NodeLink(asio::io_context& io, std::vector<Endpoint> nodes,
                   std::chrono::milliseconds connect_timeout,
                   std::chrono::milliseconds request_timeout, uint32_t max_frame_bytes,
                   std::shared_ptr<tls::Context> tls)
    : io_(io),
      nodes_(std::move(nodes)),
      connect_timeout_(connect_timeout),
      request_timeout_(request_timeout),
      max_frame_bytes_(max_frame_bytes),
      tls_(std::move(tls)),
      stream_(io),
      connect_timer_(io),
      sweep_timer_(io) {
  in_.resize(64 * 1024);
}

std::string NodeLink::current_node() const { return current_; }

void NodeLink::send(wire::Request& request, ResponseHandler handler) {
  request.set_id(next_id_++);
  if (!service::append_frame(out_pending_, request, max_frame_bytes_)) {
    handler(nullptr, "the request is larger than the frame limit", false);
    return;
  }
  pending_.emplace(request.id(), Pending{std::move(handler),
                                         std::chrono::steady_clock::now() + request_timeout_});
  arm_sweep();
  if (state_ == State::kIdle) {
    connect(nodes_.size());
  } else if (state_ == State::kConnected) {
    flush();
  }
}

void NodeLink::connect(size_t attempts_left) {
  if (nodes_.empty()) {
    fail_all("no nodes given");
    return;
  }
  if (attempts_left == 0) {
    fail_all(last_failure_.empty() ? "cannot reach any node"
                                   : "cannot reach any node (" + last_failure_ + ")");
    return;
  }
  state_ = State::kConnecting;
  const uint64_t gen = ++generation_;
  const Endpoint& node = nodes_[node_index_];
  current_ = node.text;
  std::error_code ec;
  const auto address = asio::ip::make_address(node.host, ec);
  auto next = [this, attempts_left] {
    node_index_ = (node_index_ + 1) % nodes_.size();
    connect(attempts_left - 1);
  };
  if (ec) {
    next();
    return;
  }
  stream_.reset_plain();
  connect_timer_.expires_after(connect_timeout_);
  connect_timer_.async_wait([self = shared_from_this(), gen](std::error_code e) {
    if (e || gen != self->generation_ || self->state_ != State::kConnecting) return;
    self->stream_.close();  // completes the connect (or handshake) with operation_aborted
  });
  stream_.socket().async_connect(asio::ip::tcp::endpoint(address, node.port),
                                 [self = shared_from_this(), gen, next, node](std::error_code e) {
                                   if (gen != self->generation_) return;
                                   if (e) {
                                     self->connect_timer_.cancel();
                                     self->last_failure_ = node.text + ": " + e.message();
                                     next();
                                     return;
                                   }
                                   if (self->tls_) return self->start_tls(node, gen, next);
                                   self->connect_timer_.cancel();
                                   self->on_connected();
                                 });
}

void NodeLink::start_tls(const Endpoint& node, uint64_t gen, std::function<void()> next) {
  stream_.start_tls(tls_);
  stream_.verify_host_name(node.host);
  stream_.async_handshake(asio::ssl::stream_base::client, [self = shared_from_this(), gen, next,
                                                           text = node.text](std::error_code e) {
    if (gen != self->generation_) return;
    self->connect_timer_.cancel();
    if (e) {
      self->last_failure_ =
          "TLS handshake with " + text + " failed: " + tls::describe_handshake_error(e);
      self->stream_.close();
      next();
      return;
    }
    self->on_connected();
  });
}

void NodeLink::on_connected() {
  state_ = State::kConnected;
  last_failure_.clear();
  std::error_code ec;
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  in_len_ = 0;
  read_more();
  flush();
}

void NodeLink::fail_all(std::string_view why) {
  stream_.close();
  state_ = State::kIdle;
  ++generation_;
  out_pending_.clear();
  writing_ = false;
  reading_ = false;
  auto pending = std::move(pending_);
  pending_.clear();
  const std::string message = std::string(why) + " (" + current_ + ")";
  for (auto& [id, p] : pending) p.handler(nullptr, message, false);
  // The next request starts with the next node of the list.
  if (!nodes_.empty()) node_index_ = (node_index_ + 1) % nodes_.size();
}

void NodeLink::close(std::string_view why) {
  fail_all(why);
  sweep_timer_.cancel();
  connect_timer_.cancel();
}

void NodeLink::flush() {
  if (writing_ || state_ != State::kConnected || out_pending_.empty()) return;
  std::swap(out_pending_, out_inflight_);
  out_pending_.clear();
  writing_ = true;
  asio::async_write(stream_, asio::buffer(out_inflight_),
                    [self = shared_from_this(), gen = generation_](std::error_code ec, size_t) {
                      if (gen != self->generation_) return;
                      self->writing_ = false;
                      self->out_inflight_.clear();
                      if (ec) {
                        self->fail_all("connection lost: " + ec.message());
                        return;
                      }
                      self->flush();
                    });
}

void NodeLink::read_more() {
  if (reading_ || state_ != State::kConnected) return;
  const size_t max_total = service::kFrameHeaderBytes + max_frame_bytes_;
  if (in_len_ == in_.size()) in_.resize(std::min(in_.size() * 2, max_total));
  reading_ = true;
  stream_.async_read_some(
      asio::buffer(in_.data() + in_len_, in_.size() - in_len_),
      [self = shared_from_this(), gen = generation_](std::error_code ec, size_t n) {
        if (gen != self->generation_) return;
        self->reading_ = false;
        if (ec) {
          self->fail_all(ec == asio::error::eof || ec == asio::ssl::error::stream_truncated
                             ? std::string("the node closed the connection")
                             : "connection lost: " + ec.message());
          return;
        }
        self->in_len_ += n;
        self->process_input();
      });
}

void NodeLink::process_input() {
  const uint64_t gen = generation_;
  size_t offset = 0;
  while (true) {
    auto view = service::next_frame({in_.data() + offset, in_len_ - offset}, max_frame_bytes_);
    if (view.status == service::FrameStatus::kNeedMore) break;
    if (view.status == service::FrameStatus::kTooLarge) {
      fail_all("the node sent a frame above the limit");
      return;
    }
    offset += view.consumed;
    if (!response_.ParseFromArray(view.payload.data(), static_cast<int>(view.payload.size()))) {
      fail_all("the node sent a malformed response");
      return;
    }
    auto it = pending_.find(response_.id());
    if (it == pending_.end()) {
      if (response_.id() == 0 && response_.has_error()) {
        fail_all("the node refused the connection: " + response_.error().message());
        return;
      }
      continue;  // answer to a request that already timed out
    }
    auto handler = std::move(it->second.handler);
    pending_.erase(it);
    handler(&response_, "", false);
    if (gen != generation_) return;  // the handler's call path failed the link
  }
  if (offset > 0) {
    std::memmove(in_.data(), in_.data() + offset, in_len_ - offset);
    in_len_ -= offset;
  }
  read_more();
}

void NodeLink::arm_sweep() {
  if (sweeping_) return;
  sweeping_ = true;
  sweep_timer_.expires_after(std::chrono::milliseconds(50));
  sweep_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    self->sweeping_ = false;
    if (ec) return;
    const auto now = std::chrono::steady_clock::now();
    std::vector<ResponseHandler> expired;
    for (auto it = self->pending_.begin(); it != self->pending_.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second.handler));
        it = self->pending_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& h : expired) h(nullptr, "no answer within the request timeout", true);
    if (!self->pending_.empty()) self->arm_sweep();
  });
}

}  // namespace drl::client
