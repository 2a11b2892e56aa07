#include "net/resp_session.h"

#include <asio/ssl/error.hpp>

#include <asio/post.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <cstring>
#include <optional>

#include "service/resp_encoder.h"

namespace drl::net {
namespace {

constexpr size_t kInitialReadBuffer = 16 * 1024;

// CLIENT ID: unique among this process's RESP connections, from 1 as in Redis.
std::atomic<uint64_t> next_connection_id{1};

// host:port as Redis prints it in CLIENT INFO ([v6]:port for IPv6).
std::string address_text(const asio::ip::tcp::endpoint& e) {
  const auto host = e.address().to_string();
  return (e.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(e.port());
}

}  // namespace

RespSession::RespSession(asio::io_context& io, tls::Stream stream, const RespSessionLimits& limits,
                         const RespServices& services, service::ServerStatsShard& stats)
    : io_(io),
      stream_(std::move(stream)),
      limits_(limits),
      services_(services),
      stats_(stats),
      authenticated_(services.auth == nullptr),
      watchdog_(stream_.get_executor(), limits.frame_timeout, *this),
      end_(stream_, watchdog_, stats, limits.idle_timeout) {
  in_.resize(std::min(kInitialReadBuffer, limits_.max_input_bytes));
  stats_.add(stats_.connections_accepted);
  std::error_code ec;
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  conn_.id = next_connection_id.fetch_add(1, std::memory_order_relaxed);
  if (const auto remote = stream_.socket().remote_endpoint(ec); !ec)
    conn_.address = address_text(remote);
  if (const auto local = stream_.socket().local_endpoint(ec); !ec)
    conn_.local = address_text(local);
}

RespSession::~RespSession() { stats_.add(stats_.connections_closed); }

void RespSession::start() {
  last_activity_ = std::chrono::steady_clock::now();
  opened_ = last_activity_;
  read_at_ = last_activity_;
  end_.arm_idle(shared_from_this());
  read_more();
}

TimePoint RespSession::now() const {
  if (services_.clock != nullptr) return services_.clock->now();
  return SystemClock().now();
}

bool RespSession::can_read() const {
  return !closing_ && !end_.closed() && !waiting_ &&
         out_.pending_bytes() < limits_.max_pending_output;
}

void RespSession::read_more() {
  if (reading_ || !can_read()) return;
  if (in_len_ == in_.size()) {
    // process_input() refused a command that would not fit in max_input_bytes.
    in_.resize(std::min(in_.size() * 2, limits_.max_input_bytes));
  }
  reading_ = true;
  stream_.async_read_some(asio::buffer(in_.data() + in_len_, in_.size() - in_len_),
                          [self = shared_from_this()](std::error_code ec, size_t n) {
                            self->reading_ = false;
                            if (ec) {
                              if (ec != asio::error::eof && ec != asio::error::operation_aborted &&
                                  ec != asio::ssl::error::stream_truncated) {
                                self->stats_.error(service::ServerError::kIo);
                              }
                              self->end_.shut();
                              return;
                            }
                            self->in_len_ += n;
                            self->last_activity_ = std::chrono::steady_clock::now();
                            self->read_at_ = self->last_activity_;
                            self->process_input();
                          });
}

void RespSession::process_input() {
  size_t offset = 0;
  bool need_more = false;
  while (!closing_ && !end_.closed() && !waiting_ &&
         out_.pending_bytes() < limits_.max_pending_output) {
    const std::string_view view(in_.data() + offset, in_len_ - offset);
    const auto r = service::parse_resp_command(view, args_, limits_.parser);
    if (r.status == service::RespParseStatus::kNeedMore) {
      need_more = true;
      break;
    }
    if (r.status == service::RespParseStatus::kError) {
      // Answer the commands before the bad bytes first; the error is found again on resume.
      dispatch_batch();
      if (!waiting_) protocol_error(r.error);
      break;
    }
    if (!args_.empty() && !handle_command(args_)) break;
    offset += r.consumed;
  }
  // The calls borrow `in_`: decide them before the buffer moves.
  if (!waiting_) dispatch_batch();
  if (need_more && !closing_ && in_len_ - offset >= limits_.max_input_bytes) {
    protocol_error("request larger than " + std::to_string(limits_.max_input_bytes) + " bytes");
  }
  if (offset > 0) {
    std::memmove(in_.data(), in_.data() + offset, in_len_ - offset);
    in_len_ -= offset;
  }
  watchdog_.note(in_len_ > 0 ? shared_from_this() : nullptr, in_len_, offset > 0, last_activity_);
  if (in_.size() > kInitialReadBuffer && in_len_ <= kInitialReadBuffer) {
    in_.resize(kInitialReadBuffer);
    in_.shrink_to_fit();
  }
  flush();
  read_more();
}

bool RespSession::handle_command(std::span<const std::string_view> args) {
  if (services_.auth != nullptr && auth_command(args)) return !waiting_;
  thread_local std::string reply;
  reply.clear();
  conn_.age_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(last_activity_ - opened_).count();
  auto plan = service::plan_resp_command(args, conn_, reply);
  if (plan.verb == service::RespVerb::kThrottle || plan.verb == service::RespVerb::kCheck) {
    stats_.add(stats_.requests);
    calls_.push_back(plan.call);
    kinds_.push_back(plan.verb == service::RespVerb::kThrottle ? Pending::kThrottle
                                                               : Pending::kCheck);
    if (calls_.size() >= limits_.max_batch) dispatch_batch();
    return true;
  }
  // Replies leave in command order: checks queued before this command go first.
  dispatch_batch();
  if (waiting_) return false;
  stats_.add(stats_.requests);
  out_.pending().append(reply);
  if (plan.verb == service::RespVerb::kQuit) {
    closing_ = true;
  } else if (plan.verb == service::RespVerb::kInfo) {
    status_.Clear();
    if (services_.status) services_.status(status_);
    service::append_info(out_.pending(), status_, plan.section);
  }
  return true;
}

void RespSession::dispatch_batch() {
  if (calls_.empty() || waiting_) return;
  waiting_ = true;
  deciding_ = true;
  batch_start_ = std::chrono::steady_clock::now();
  stats_.add(stats_.checks, calls_.size());
  // Same overload control as native requests: the deadline counts from when the bytes were
  // read; a batch the gate sheds is answered at once, OVERLOADED (or its degrade mode).
  const int64_t arrived = read_at_.time_since_epoch() / std::chrono::nanoseconds(1);
  const int64_t deadline =
      arrived +
      std::chrono::duration_cast<std::chrono::nanoseconds>(limits_.default_timeout).count();
  for (auto& call : calls_) call.deadline = deadline;
  service::RequestGate* gate = services_.gate;
  if (gate != nullptr) {
    const int64_t start = batch_start_.time_since_epoch() / std::chrono::nanoseconds(1);
    if (!gate->admit(start, arrived, deadline, calls_, shed_)) {
      on_outcomes(std::span<const service::CheckOutcome>(shed_.data(), calls_.size()));
      deciding_ = false;
      return;
    }
  }
  services_.decider->decide(calls_, [self = shared_from_this(),
                                     gate](std::span<const service::CheckOutcome> outcomes) {
    if (gate != nullptr) gate->finished();
    if (self->io_.get_executor().running_in_this_thread()) {
      self->on_outcomes(outcomes);
      return;
    }
    // Completed elsewhere (a forwarded check): copy, then continue on our thread. The
    // decided_by views die with this call, so the copy owns their text.
    std::vector<service::CheckOutcome> copy(outcomes.begin(), outcomes.end());
    std::vector<std::string> deciders;
    deciders.reserve(copy.size());
    for (const auto& o : copy) deciders.emplace_back(o.decided_by);
    asio::post(self->io_, [self, copy = std::move(copy), deciders = std::move(deciders)]() mutable {
      for (size_t i = 0; i < copy.size(); ++i) copy[i].decided_by = deciders[i];
      self->on_outcomes(copy);
    });
  });
  deciding_ = false;
}

void RespSession::on_outcomes(std::span<const service::CheckOutcome> outcomes) {
  waiting_ = false;
  const bool resumed = !deciding_;  // completed after decide() returned
  if (!end_.closed()) {
    // reset_after counts from the reply, not from the send: a decision made later (a
    // forward) would otherwise read a second more once rounded up.
    const TimePoint reply_now = now();
    for (size_t i = 0; i < kinds_.size() && i < outcomes.size(); ++i) {
      if (kinds_[i] == Pending::kThrottle) {
        service::append_throttle_reply(out_.pending(), outcomes[i], reply_now);
      } else {
        service::append_check_reply(out_.pending(), outcomes[i], services_.node_id);
      }
    }
    stats_.observe_latency(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now() - batch_start_)
                               .count());
  }
  calls_.clear();
  kinds_.clear();
  if (resumed && !end_.closed()) process_input();
}

void RespSession::protocol_error(std::string_view why) {
  stats_.error(service::ServerError::kMalformedFrame);
  service::resp::append_error(out_.pending(), "ERR Protocol error: " + std::string(why));
  closing_ = true;
}

void RespSession::flush() {
  if (out_.writing() || end_.closed()) return;
  if (out_.pending().empty()) {
    if (closing_ && !waiting_) end_.shut();
    return;
  }
  out_.write_next(stream_, [self = shared_from_this()](std::error_code ec) {
    if (self->end_.write_failed(ec)) return;
    // Commands may wait in the buffer for output room.
    self->process_input();
  });
}

bool RespSession::auth_command(std::span<const std::string_view> args) {
  const auto named_arg = [](std::string_view arg, std::string_view name) {
    if (arg.size() != name.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
      if ((arg[i] | 0x20) != name[i]) return false;
    }
    return true;
  };
  const auto named = [&](std::string_view name) { return named_arg(args[0], name); };
  // HELLO with a version other than 2 is refused (NOPROTO) before its options are read, as
  // Redis does: a client probing for RESP3 gets the reply it falls back from.
  if (named("hello") && args.size() >= 2 && args[1] != "2") return false;
  // HELLO 2 AUTH username token [SETNAME name]: the token is checked here, the rest planned.
  std::optional<std::string_view> hello_token;
  if (named("hello")) {
    for (size_t i = 2; i + 2 < args.size(); ++i) {
      if (named_arg(args[i], "auth")) {
        hello_token = args[i + 2];
        break;
      }
    }
  }
  if (!named("auth") && !hello_token) {
    if (authenticated_ || named("quit")) return false;
    stats_.error(service::ServerError::kUnauthenticated);
    service::resp::append_error(
        out_.pending(), named("hello") ? "NOAUTH HELLO must be called with the client already "
                                         "authenticated, otherwise the HELLO <proto> AUTH <user> "
                                         "<pass> option can be used to authenticate the client and "
                                         "select the RESP protocol version at the same time"
                                       : "NOAUTH Authentication required.");
    return true;
  }
  // Replies leave in command order: checks queued before this command go first.
  dispatch_batch();
  if (waiting_) return true;
  if (hello_token) {
    if (services_.auth->verify(*hello_token)) {
      authenticated_ = true;
      return false;  // planned (and counted) as any other command
    }
  } else {
    stats_.add(stats_.requests);
    if (args.size() < 2 || args.size() > 3) {
      service::resp::append_error(out_.pending(),
                                  "ERR wrong number of arguments for 'auth' command");
      return true;
    }
    if (services_.auth->verify(args.back())) {
      authenticated_ = true;
      service::resp::append_simple(out_.pending(), "OK");
      return true;
    }
  }
  // Closing makes every guess cost a connection.
  stats_.error(service::ServerError::kUnauthenticated);
  service::resp::append_error(out_.pending(),
                              "WRONGPASS invalid username-password pair or user is disabled.");
  closing_ = true;
  return true;
}

void RespSession::watchdog_expired() {
  stats_.error(service::ServerError::kFrameTimeout);
  end_.shut();
}

}  // namespace drl::net
