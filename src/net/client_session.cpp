#include "net/client_session.h"

#include <asio/bind_executor.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/ssl/error.hpp>
#include <asio/write.hpp>
#include <cstring>

#include "common/wire_format.h"
#include "net/dated_receive.h"
#include "net/io_pool.h"
#include "service/all_or_nothing.h"
#include "service/check_request_scan.h"
#include "service/check_response_writer.h"
#include "service/frame.h"
#include "service/wire_convert.h"

namespace drl::net {
namespace {

constexpr size_t kInitialReadBuffer = 16 * 1024;
constexpr size_t kArenaBlock = 32 * 1024;

google::protobuf::ArenaOptions arena_options(char* block) {
  google::protobuf::ArenaOptions o;
  o.initial_block = block;
  o.initial_block_size = kArenaBlock;
  return o;
}

}  // namespace

ClientSession::ClientSession(asio::io_context& io, tls::Stream stream,
                             std::span<const uint8_t> prefix, const SessionLimits& limits,
                             const SessionServices& services, service::ServerStatsShard& stats)
    : io_(io),
      stream_(std::move(stream)),
      limits_(limits),
      services_(services),
      stats_(stats),
      watchdog_(stream_.get_executor(), limits.frame_timeout, *this),
      end_(stream_, watchdog_, stats, limits.idle_timeout),
      arena_block_(new char[kArenaBlock]),
      arena_(arena_options(arena_block_.get())) {
  in_.resize(kInitialReadBuffer);
  if (!prefix.empty()) std::memcpy(in_.data(), prefix.data(), prefix.size());
  in_len_ = prefix.size();
  stats_.add(stats_.connections_accepted);
  std::error_code ec;
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  if (!stream_.is_tls()) enable_receive_dates(stream_.socket());
}

ClientSession::~ClientSession() { stats_.add(stats_.connections_closed); }

void ClientSession::start() {
  last_activity_ = std::chrono::steady_clock::now();
  read_at_ = last_activity_;
  arrived_at_ = last_activity_;
  if (in_len_ > 0) read_dates_.push_back({in_len_, last_activity_});
  end_.arm_idle(shared_from_this());
  process_input();
}

bool ClientSession::can_read() const {
  return !closing_ && !end_.closed() && !input_ended_ && outstanding_ < limits_.max_outstanding &&
         out_.pending_bytes() < limits_.max_pending_output;
}

void ClientSession::read_more() {
  if (reading_ || !can_read()) return;
  const size_t max_total = service::kFrameHeaderBytes + limits_.max_frame_bytes;
  if (in_len_ == in_.size()) {
    compact_input();
    // Grow only as far as one whole frame needs; next_frame() refused anything larger.
    if (in_len_ == in_.size()) in_.resize(std::min(in_.size() * 2, max_total));
  }
  reading_ = true;
  const size_t space = in_.size() - in_len_;
  // The read fills in_ past in_len_; until it completes, in_ is neither moved nor resized
  // (compact_input() waits for it), though frames before in_len_ may be handled meanwhile.
  if (stream_.is_tls()) return read_tls({in_.data() + in_len_, space});
  async_receive_dated(
      stream_.socket(), {in_.data() + in_len_, space},
      [self = shared_from_this(), space](const DatedReceive& r) { self->on_received(r, space); });
}

void ClientSession::read_tls(std::span<uint8_t> buffer) {
  stream_.async_read_some(
      asio::buffer(buffer.data(), buffer.size()),
      [self = shared_from_this(), space = buffer.size()](std::error_code ec, size_t n) {
        DatedReceive r;
        r.read_at = std::chrono::steady_clock::now();
        r.bytes = n;
        // A client that closes without TLS's close_notify has ended its input all the same.
        if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
          r.eof = n == 0;
        } else if (ec) {
          r.error = ec;
        }
        self->on_received(r, space);
      });
}

void ClientSession::on_received(const DatedReceive& r, size_t space) {
  reading_ = false;
  if (end_.closed()) return;
  if (r.error) {
    if (r.error != asio::error::operation_aborted) stats_.error(service::ServerError::kIo);
    end_.shut();
    return;
  }
  if (r.eof) {
    // A half-close: the answers still go out; flush() closes once none is outstanding.
    input_ended_ = true;
    process_input();
    return;
  }
  in_len_ += r.bytes;
  const auto now = r.read_at;
  // When did these bytes arrive? The earliest of what the session can tell: the kernel's
  // date of the newest of them (SO_TIMESTAMPNS: it stays right while this thread is busy
  // or descheduled); the socket was ready a loop lag before this read; and a read which
  // filled the buffer left more behind, which has waited at least since that read.
  auto arrived = now - std::chrono::nanoseconds(IoPool::loop_lag());
  if (r.newest_arrival) arrived = std::min(arrived, *r.newest_arrival);
  if (last_read_filled_) arrived = std::min(arrived, read_at_);
  read_dates_.push_back({in_len_, arrived});
  last_read_filled_ = r.bytes == space;
  last_activity_ = now;
  read_at_ = now;
  process_input();
}

void ClientSession::process_input() {
  const auto turn_start = std::chrono::steady_clock::now();
  const size_t first = in_begin_;
  bool yielded = false;
  while (!closing_ && !end_.closed() && outstanding_ < limits_.max_outstanding) {
    if (in_begin_ > first && limits_.turn_budget.count() > 0 &&
        std::chrono::steady_clock::now() - turn_start >= limits_.turn_budget) {
      // This turn is spent: the other connections of this thread go first, then the rest
      // of this input (it keeps its arrival dates, so its wait counts).
      yielded = true;
      break;
    }
    auto view =
        service::next_frame({in_.data() + in_begin_, in_len_ - in_begin_}, limits_.max_frame_bytes);
    if (view.status == service::FrameStatus::kNeedMore) break;
    if (view.status == service::FrameStatus::kTooLarge) {
      stats_.error(service::ServerError::kFrameTooLarge);
      send_error(0, wire::FRAME_TOO_LARGE,
                 "frame length " + std::to_string(view.announced) + " is above the limit of " +
                     std::to_string(limits_.max_frame_bytes) + " bytes",
                 true);
      break;
    }
    in_begin_ += view.consumed;
    arrived_at_ = date_of_frame_ending_at(in_begin_, superseded_);
    if (!handle_frame(view.payload)) break;
  }
  const bool consumed = in_begin_ > first;
  compact_input();
  const size_t leftover = in_len_ - in_begin_;
  watchdog_.note(leftover > 0 ? shared_from_this() : nullptr, leftover, consumed, read_at_);
  if (yielded && !turn_posted_) {
    turn_posted_ = true;
    asio::post(io_, [self = shared_from_this()] {
      self->turn_posted_ = false;
      if (!self->end_.closed()) self->process_input();
    });
  }
  flush();
  read_more();
}

bool ClientSession::whole_frame_waiting() const {
  return service::next_frame({in_.data() + in_begin_, in_len_ - in_begin_}, limits_.max_frame_bytes)
             .status != service::FrameStatus::kNeedMore;
}

void ClientSession::compact_input() {
  if (reading_) return;
  if (in_begin_ > 0) {
    std::memmove(in_.data(), in_.data() + in_begin_, in_len_ - in_begin_);
    in_len_ -= in_begin_;
    size_t keep = 0;
    for (auto& d : read_dates_) {
      if (d.end <= in_begin_) continue;
      read_dates_[keep++] = {d.end - in_begin_, d.arrived};
    }
    read_dates_.resize(keep);
    in_begin_ = 0;
  }
  // Give memory back once a large frame has passed.
  if (in_.size() > kInitialReadBuffer && in_len_ <= kInitialReadBuffer) {
    in_.resize(kInitialReadBuffer);
    in_.shrink_to_fit();
  }
}

std::chrono::steady_clock::time_point ClientSession::date_of_frame_ending_at(
    size_t end, bool& superseded) const {
  for (size_t i = 0; i < read_dates_.size(); ++i) {
    if (end <= read_dates_[i].end) {
      superseded = i + 1 < read_dates_.size();
      return read_dates_[i].arrived;
    }
  }
  superseded = false;
  return read_dates_.empty() ? read_at_ : read_dates_.back().arrived;
}

bool ClientSession::handle_frame(std::span<const uint8_t> payload) {
  const auto start = std::chrono::steady_clock::now();
  // The common frame, a check request in the canonical encoding, is read straight into
  // calls_; anything else goes through the generated classes (service/check_request_scan.h).
  service::ScannedCheckRequest scanned;
  if (service::scan_check_request({reinterpret_cast<const char*>(payload.data()), payload.size()},
                                  scanned, calls_)) {
    if (services_.auth != nullptr && !services_.auth->verify(scanned.auth_token)) {
      return refuse_unauthenticated(scanned.id, scanned.auth_token);
    }
    stats_.add(stats_.requests);
    handle_check({scanned.id, scanned.timeout_ms, scanned.all_or_nothing, scanned.checks}, start);
    return true;
  }
  arena_.Reset();
  request_ = google::protobuf::Arena::CreateMessage<wire::Request>(&arena_);
  if (!request_->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    stats_.error(service::ServerError::kMalformedFrame);
    send_error(0, wire::MALFORMED_FRAME, "the frame is not a valid drl.wire.Request", true);
    return false;
  }
  if (services_.auth != nullptr && !services_.auth->verify(request_->auth_token())) {
    return refuse_unauthenticated(request_->id(), request_->auth_token());
  }
  stats_.add(stats_.requests);
  const uint64_t id = request_->id();
  switch (request_->body_case()) {
    case wire::Request::kCheck: {
      const auto& checks = request_->check().checks();
      // Beyond the limit nothing is decoded: handle_check refuses the request by its count.
      if (static_cast<size_t>(checks.size()) <= service::kMaxChecksPerRequest) {
        calls_.resize(checks.size());
        for (int i = 0; i < checks.size(); ++i) service::decode_check(checks[i], calls_[i]);
      }
      handle_check({id, request_->timeout_ms(), request_->check().all_or_nothing(),
                    static_cast<size_t>(checks.size())},
                   start);
      break;
    }
    case wire::Request::kStatus: {
      wire::StatusResponse status;
      if (services_.status) services_.status(status);
      append_response(id, wire::Response::kStatusFieldNumber, status);
      break;
    }
    case wire::Request::kRing: {
      wire::RingResponse ring;
      if (services_.ring) services_.ring(request_->ring().known_epoch(), ring);
      append_response(id, wire::Response::kRingFieldNumber, ring);
      break;
    }
    case wire::Request::kAdmin: {
      wire::AdminResponse admin;
      const std::string refused =
          services_.admin ? services_.admin(request_->admin(), admin)
                          : "admin requests are test-only: this node was started without "
                            "--enable-test-hooks";
      if (refused.empty()) {
        append_response(id, wire::Response::kAdminFieldNumber, admin);
      } else {
        send_error(id, wire::ADMIN_REFUSED, refused, false);
      }
      break;
    }
    case wire::Request::kPolicy: {
      wire::PolicyResponse policy;
      const std::string refused =
          services_.policy ? services_.policy(request_->policy(), policy) : std::string();
      if (refused.empty()) {
        append_response(id, wire::Response::kPolicyFieldNumber, policy);
      } else {
        send_error(id, wire::POLICY_REFUSED, refused, false);
      }
      break;
    }
    default:
      stats_.error(service::ServerError::kEmptyRequest);
      send_error(id, wire::EMPTY_REQUEST, "the request has no body (check, status, ring or policy)",
                 false);
      break;
  }
  return true;
}

void ClientSession::handle_check(const CheckHead& head,
                                 std::chrono::steady_clock::time_point start) {
  const uint64_t id = head.id;
  if (head.checks == 0) {
    stats_.error(service::ServerError::kEmptyRequest);
    send_error(id, wire::EMPTY_REQUEST, "the check request holds no checks", false);
    return;
  }
  if (head.checks > service::kMaxChecksPerRequest) {
    stats_.error(service::ServerError::kTooManyChecks);
    send_error(
        id, wire::TOO_MANY_CHECKS,
        "a request may hold at most " + std::to_string(service::kMaxChecksPerRequest) + " checks",
        false);
    return;
  }
  stats_.add(stats_.checks, calls_.size());
  // The deadline counts from when the frame's bytes arrived as far as the node can tell (the
  // read, or the read before it when that one left a backlog), not from when the client
  // sent them (docs/design.md, overload and deadlines).
  const auto timeout = head.timeout_ms == 0 ? limits_.default_timeout
                                            : std::min(std::chrono::milliseconds(head.timeout_ms),
                                                       limits_.max_timeout);
  // arrived_at_ already counts the thread's loop lag at the read (see read_more).
  const int64_t arrived = arrived_at_.time_since_epoch() / std::chrono::nanoseconds(1);
  const int64_t deadline =
      arrived + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  for (auto& call : calls_) call.deadline = deadline;
  service::RequestGate* gate = services_.gate;
  if (gate != nullptr) {
    const int64_t now = start.time_since_epoch() / std::chrono::nanoseconds(1);
    if (!gate->admit(now, arrived, deadline, calls_, shed_, superseded_)) {
      ++outstanding_;
      on_outcomes(id, start, std::span<const service::CheckOutcome>(shed_.data(), calls_.size()));
      return;
    }
  }
  ++outstanding_;
  auto done = [self = shared_from_this(), id, start,
               gate](std::span<const service::CheckOutcome> outcomes) {
    if (gate != nullptr) gate->finished();
    if (self->io_.get_executor().running_in_this_thread()) {
      self->on_outcomes(id, start, outcomes);
      return;
    }
    // Completed elsewhere (a forwarded check): copy, then continue on our thread. The
    // decided_by views die with this call, so the copy owns their text.
    std::vector<service::CheckOutcome> copy(outcomes.begin(), outcomes.end());
    std::vector<std::string> deciders;
    deciders.reserve(copy.size());
    for (const auto& o : copy) deciders.emplace_back(o.decided_by);
    asio::post(self->io_,
               [self, id, start, copy = std::move(copy), deciders = std::move(deciders)]() mutable {
                 for (size_t i = 0; i < copy.size(); ++i) copy[i].decided_by = deciders[i];
                 self->on_outcomes(id, start, copy);
                 // Not only flush and read: requests already read may have waited for this slot
                 // (max_outstanding), and a client that pipelined past it may send nothing more.
                 if (!self->end_.closed()) self->process_input();
               });
  };
  if (head.all_or_nothing) {
    static const SystemClock system_clock;
    const Clock& clock = services_.clock != nullptr ? *services_.clock : system_clock;
    service::decide_all_or_nothing(*services_.decider, clock, calls_, std::move(done));
  } else {
    services_.decider->decide(calls_, std::move(done));
  }
}

void ClientSession::on_outcomes(uint64_t id, std::chrono::steady_clock::time_point start,
                                std::span<const service::CheckOutcome> outcomes) {
  --outstanding_;
  if (end_.closed()) return;
  const std::string_view node = services_.node_id;
  append_envelope(id, wire::Response::kCheckFieldNumber,
                  service::check_response_size(outcomes, node),
                  [&](char* p) { service::write_check_response(p, outcomes, node); });
  stats_.observe_latency(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count());
}

void ClientSession::send_error(uint64_t id, wire::ErrorCode code, std::string_view message,
                               bool closing) {
  wire::Error error;
  error.set_code(code);
  error.set_message(std::string(message));
  error.set_closing(closing);
  append_response(id, wire::Response::kErrorFieldNumber, error);
  if (closing) closing_ = true;
}

void ClientSession::append_response(uint64_t id, int field,
                                    const google::protobuf::MessageLite& body) {
  append_envelope(id, field, body.ByteSizeLong(), [&body](char* p) {
    body.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(p));
  });
}

// Writes Response{id, <field> = body, ring_epoch} by hand, the body written in place by
// `write_body` (body_size bytes) rather than moved into a fresh envelope.
template <typename WriteBody>
void ClientSession::append_envelope(uint64_t id, int field, size_t body_size,
                                    WriteBody&& write_body) {
  const uint64_t epoch =
      services_.ring_epoch != nullptr ? services_.ring_epoch->load(std::memory_order_relaxed) : 0;
  using protowire::one_byte_tag;
  using protowire::varint_size;
  static_assert(one_byte_tag(wire::Response::kIdFieldNumber) &&
                one_byte_tag(wire::Response::kCheckFieldNumber) &&
                one_byte_tag(wire::Response::kStatusFieldNumber) &&
                one_byte_tag(wire::Response::kErrorFieldNumber) &&
                one_byte_tag(wire::Response::kAdminFieldNumber) &&
                one_byte_tag(wire::Response::kRingFieldNumber) &&
                one_byte_tag(wire::Response::kPolicyFieldNumber) &&
                one_byte_tag(wire::Response::kRingEpochFieldNumber));
  // Each tag is one byte: every field of Response is below 16 (asserted above).
  const size_t envelope = (id != 0 ? 1 + varint_size(id) : 0) + 1 + varint_size(body_size) +
                          body_size + (epoch != 0 ? 1 + varint_size(epoch) : 0);
  // One resize, then every byte written in place (appending byte by byte cost more than the
  // body's own writing).
  std::string& out = out_.pending();
  const size_t at = out.size();
  out.resize(at + service::kFrameHeaderBytes + envelope);
  char* p = out.data() + at;
  service::write_be32(reinterpret_cast<uint8_t*>(p), static_cast<uint32_t>(envelope));
  p += service::kFrameHeaderBytes;
  if (id != 0) {
    *p++ = static_cast<char>(protowire::tag_of(wire::Response::kIdFieldNumber, protowire::kVarint));
    p = protowire::put_varint(p, id);
  }
  *p++ = static_cast<char>(protowire::tag_of(static_cast<uint32_t>(field), protowire::kLength));
  p = protowire::put_varint(p, body_size);
  write_body(p);
  p += body_size;
  if (epoch != 0) {
    *p++ = static_cast<char>(
        protowire::tag_of(wire::Response::kRingEpochFieldNumber, protowire::kVarint));
    protowire::put_varint(p, epoch);
  }
}

void ClientSession::flush() {
  if (out_.writing() || end_.closed()) return;
  if (out_.pending().empty()) {
    if (outstanding_ == 0 &&
        (closing_ || (input_ended_ && !turn_posted_ && !whole_frame_waiting()))) {
      end_.shut();
    }
    return;
  }
  out_.write_next(stream_, [self = shared_from_this()](std::error_code ec) {
    if (self->end_.write_failed(ec)) return;
    self->flush();
    self->read_more();
  });
}

bool ClientSession::refuse_unauthenticated(uint64_t id, std::string_view token) {
  stats_.error(service::ServerError::kUnauthenticated);
  send_error(id, wire::UNAUTHENTICATED,
             token.empty()
                 ? "this node requires a client token: set auth_token (drl --token-file FILE, "
                   "ClientOptions::auth_token)"
                 : "the auth_token is not one this node accepts",
             true);
  return false;
}

void ClientSession::watchdog_expired() {
  stats_.error(service::ServerError::kFrameTimeout);
  end_.shut();
}

}  // namespace drl::net
