#include "cli/bench_load.h"

#include <asio/connect.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "cli/bench_error_sample.h"
#include "cli/response_scan.h"
#include "common/wire_format.h"
#include "drl/client.pb.h"
#include "service/frame.h"
#include "tls/stream.h"

namespace drl::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Counters of one I/O thread; written by it, read by the progress printer.
struct alignas(64) ThreadCounts {
  std::atomic<uint64_t> requests{0}, allowed{0}, denied{0}, errors{0}, overloaded{0}, unsent{0};
};

void add(std::atomic<uint64_t>& a, uint64_t n) {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace

void append_request_frame(std::string& out, uint64_t id, const BenchConfig& config,
                          const std::string& body) {
  std::string envelope;
  using protowire::append_tag;
  append_tag(envelope, wire::Request::kIdFieldNumber, protowire::kVarint);
  protowire::append_varint(envelope, id);
  if (config.timeout_ms > 0) {
    append_tag(envelope, wire::Request::kTimeoutMsFieldNumber, protowire::kVarint);
    protowire::append_varint(envelope, config.timeout_ms);
  }
  if (!config.auth_token.empty()) {
    append_tag(envelope, wire::Request::kAuthTokenFieldNumber, protowire::kLength);
    protowire::append_varint(envelope, config.auth_token.size());
    envelope += config.auth_token;
  }
  append_tag(envelope, wire::Request::kCheckFieldNumber, protowire::kLength);
  protowire::append_varint(envelope, body.size());
  const size_t at = out.size();
  out.resize(at + service::kFrameHeaderBytes);
  service::write_be32(reinterpret_cast<uint8_t*>(out.data() + at),
                      static_cast<uint32_t>(envelope.size() + body.size()));
  out += envelope;
  out += body;
}

namespace {

class BenchConnection : public std::enable_shared_from_this<BenchConnection> {
 public:
  // `tls`: the connection runs TLS with it (null: plain).
  BenchConnection(asio::io_context& io, const BenchConfig& config, RequestBodies bodies,
                  ThreadCounts& counts, LatencyHistogram& latency, LatencyHistogram& shed_latency,
                  const std::atomic<bool>& stop, ErrorSample& error_sample,
                  std::shared_ptr<tls::Context> tls)
      : stream_(io),
        tls_(std::move(tls)),
        config_(config),
        bodies_(std::move(bodies)),
        counts_(counts),
        latency_(latency),
        shed_latency_(shed_latency),
        stop_(stop),
        error_sample_(error_sample),
        sent_at_(config.pipeline * 4) {
    in_.resize(256 * 1024);
  }

  void start(const asio::ip::tcp::endpoint& endpoint, const std::string& host,
             std::function<void(std::string)> failed) {
    stream_.socket().async_connect(
        endpoint, [self = shared_from_this(), failed, host](std::error_code ec) {
          if (ec) {
            failed("cannot connect: " + ec.message());
            return;
          }
          std::error_code ignore;
          self->stream_.socket().set_option(asio::ip::tcp::no_delay(true), ignore);
          if (!self->tls_) return self->begin();
          self->stream_.start_tls(self->tls_);
          self->stream_.verify_host_name(host);
          self->stream_.async_handshake(
              asio::ssl::stream_base::client, [self, failed](std::error_code e) {
                if (e) {
                  failed("TLS handshake failed: " + tls::describe_handshake_error(e));
                  return;
                }
                self->begin();
              });
        });
  }

  void close() { stream_.close(); }

 private:
  void begin() {
    for (size_t i = 0; i < config_.pipeline; ++i) queue_request(SteadyClock::now());
    flush();
    read_more();
  }

  void queue_request(SteadyClock::time_point scheduled) {
    const uint64_t id = next_id_++;
    append_request_frame(out_, id, config_, bodies_.next());
    sent_at_[id % sent_at_.size()] = scheduled;
    ++outstanding_;
  }

  void flush() {
    if (writing_ || out_.empty()) return;
    std::swap(out_, inflight_);
    out_.clear();
    writing_ = true;
    asio::async_write(stream_, asio::buffer(inflight_),
                      [self = shared_from_this()](std::error_code ec, size_t) {
                        self->writing_ = false;
                        if (ec) return;
                        self->flush();
                      });
  }

  void read_more() {
    stream_.async_read_some(asio::buffer(in_.data() + in_len_, in_.size() - in_len_),
                            [self = shared_from_this()](std::error_code ec, size_t n) {
                              if (ec) return;
                              self->in_len_ += n;
                              self->on_input();
                            });
  }

  void on_input() {
    const auto now = SteadyClock::now();
    size_t offset = 0;
    uint64_t requests = 0, allowed = 0, denied = 0, errors = 0, overloaded = 0;
    while (true) {
      auto view = service::next_frame({in_.data() + offset, in_len_ - offset}, 64u << 20);
      if (view.status != service::FrameStatus::kComplete) break;
      offset += view.consumed;
      // The light reader, not a full parse: the generator shares the cores with the node.
      if (!scan_response(view.payload, tally_) || !tally_.check) {
        errors += config_.batch;
        if (!config_.floor) error_sample_.note(view.payload);
      } else {
        allowed += tally_.allowed;
        denied += tally_.denied;
        errors += tally_.errors;
        overloaded += tally_.overloaded;
      }
      (tally_.first_overloaded ? shed_latency_ : latency_)
          .record(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      now - sent_at_[tally_.id % sent_at_.size()])
                      .count());
      ++requests;
      --outstanding_;
    }
    if (offset > 0) {
      std::memmove(in_.data(), in_.data() + offset, in_len_ - offset);
      in_len_ -= offset;
    }
    if (in_len_ == in_.size()) in_.resize(in_.size() * 2);
    add(counts_.requests, requests);
    add(counts_.allowed, allowed);
    add(counts_.denied, denied);
    add(counts_.errors, errors);
    add(counts_.overloaded, overloaded);
    if (!stop_.load(std::memory_order_relaxed)) {
      while (outstanding_ < config_.pipeline) queue_request(now);
      flush();
    }
    read_more();
  }

  tls::Stream stream_;
  std::shared_ptr<tls::Context> tls_;
  const BenchConfig& config_;
  RequestBodies bodies_;
  ThreadCounts& counts_;
  LatencyHistogram& latency_;
  LatencyHistogram& shed_latency_;
  const std::atomic<bool>& stop_;
  ErrorSample& error_sample_;
  std::vector<SteadyClock::time_point> sent_at_;
  uint64_t next_id_ = 1;
  size_t outstanding_ = 0;
  std::string out_, inflight_;
  bool writing_ = false;
  std::vector<uint8_t> in_;
  size_t in_len_ = 0;
  ResponseTally tally_;
};

}  // namespace

RequestBodies::RequestBodies(const BenchConfig& config, uint64_t connection, DistinctKeys& distinct)
    : picker_(config.keys, config.key_distribution, config.seed * 1000003 + connection),
      distinct_(distinct) {
  if (!config.floor) {
    template_ =
        std::make_unique<CheckBodyTemplate>(config.check_template, config.batch, config.keys);
  }
}

const std::string& RequestBodies::next() {
  return template_ ? template_->next(picker_, distinct_) : empty_;
}

BenchResult run_bench(const BenchConfig& config,
                      const std::function<void(const BenchCounts&, double)>& each_second) {
  BenchResult result;
  if (config.rate > 0) {
    if (config.tls.enabled) {
      result.failure = "--rate (the open loop) does not speak TLS yet: use the closed loop";
      return result;
    }
    return run_open_loop(config, each_second);
  }
  std::shared_ptr<tls::Context> tls;
  if (config.tls.enabled) {
    tls::TlsFiles files;
    files.ca = config.tls.ca_file;
    files.cert = config.tls.cert_file;
    files.key = config.tls.key_file;
    auto context = tls::load_client_context(files);
    if (!context) {
      result.failure = context.status().message();
      return result;
    }
    tls = std::move(*context);
  }
  const size_t threads = std::max<size_t>(1, config.threads);
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<ThreadCounts> counts(threads);
  std::vector<LatencyHistogram> latency(threads), shed_latency(threads);
  std::atomic<bool> stop{false};
  std::mutex failure_mutex;
  std::string failure;
  DistinctKeys distinct(config.keys);
  std::vector<std::shared_ptr<BenchConnection>> connections;
  ErrorSample error_sample;
  for (size_t t = 0; t < threads; ++t) contexts.push_back(std::make_unique<asio::io_context>(1));
  for (size_t c = 0; c < config.connections; ++c) {
    const size_t t = c % threads;
    const HostPort& server = config.servers[c % config.servers.size()];
    std::error_code ec;
    const auto address = asio::ip::make_address(server.host, ec);
    if (ec) {
      result.failure = "'" + server.host + "' is not an IP address";
      return result;
    }
    auto conn = std::make_shared<BenchConnection>(
        *contexts[t], config, RequestBodies(config, c, distinct), counts[t], latency[t],
        shed_latency[t], stop, error_sample, tls);
    conn->start(asio::ip::tcp::endpoint(address, server.port), server.host, [&](std::string why) {
      std::lock_guard lock(failure_mutex);
      if (failure.empty()) failure = why;
      stop = true;
    });
    connections.push_back(conn);
  }
  const auto started = SteadyClock::now();
  std::vector<std::thread> workers;
  for (auto& ctx : contexts) workers.emplace_back([c = ctx.get()] { c->run(); });
  auto totals = [&] {
    BenchCounts s;
    for (auto& c : counts) {
      s.requests += c.requests.load(std::memory_order_relaxed);
      s.allowed += c.allowed.load(std::memory_order_relaxed);
      s.denied += c.denied.load(std::memory_order_relaxed);
      s.errors += c.errors.load(std::memory_order_relaxed);
      s.overloaded += c.overloaded.load(std::memory_order_relaxed);
      s.unsent += c.unsent.load(std::memory_order_relaxed);
    }
    return s;
  };
  const auto deadline = started + config.duration;
  auto next_tick = started + std::chrono::seconds(1);
  while (!stop && SteadyClock::now() < deadline) {
    std::this_thread::sleep_until(std::min(next_tick, deadline));
    if (SteadyClock::now() >= next_tick) {
      each_second(totals(), std::chrono::duration<double>(SteadyClock::now() - started).count());
      next_tick += std::chrono::seconds(1);
    }
  }
  stop = true;
  result.seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  for (size_t t = 0; t < threads; ++t) {
    asio::post(*contexts[t], [&connections, t, threads] {
      for (size_t c = t; c < connections.size(); c += threads) connections[c]->close();
    });
  }
  for (auto& w : workers) w.join();
  result.counts = totals();
  result.first_error = error_sample.text();
  result.distinct_keys = distinct.count();
  result.distinct_keys_exact = distinct.exact();
  for (auto& h : latency) result.latency.merge(h);
  for (auto& h : shed_latency) result.shed_latency.merge(h);
  {
    std::lock_guard lock(failure_mutex);
    result.failure = failure;
  }
  return result;
}

}  // namespace drl::cli
