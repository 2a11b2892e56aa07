#include "cli/bench_open_loop.h"

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "cli/bench_error_sample.h"
#include "cli/bench_load.h"
#include "cli/response_scan.h"
#include "common/random.h"
#include "drl/client.pb.h"
#include "net/dated_receive.h"
#include "service/frame.h"

namespace drl::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Outstanding requests per connection at most (the ring of intended send times). A request
// due while its connection is this far behind is counted unsent instead.
constexpr size_t kWindow = 1u << 16;
// The timer wakes at most this often: requests due in between leave together, late by up
// to this much, and that lateness is charged to their latency (it is in the send lag).
constexpr auto kMinTick = std::chrono::microseconds(100);
// After the schedule ends, answers still outstanding are awaited this long at most.
constexpr auto kMinDrain = std::chrono::seconds(1);

void add(std::atomic<uint64_t>& a, uint64_t n) {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// Counters of one generator thread: written by it, read by the progress printer.
struct alignas(64) LiveCounts {
  std::atomic<uint64_t> requests{0}, allowed{0}, denied{0}, errors{0}, overloaded{0}, unsent{0};
  std::atomic<uint64_t> sent{0}, scheduled{0};
};

// Histograms of one generator thread, merged after its thread has stopped.
struct ThreadHistograms {
  LatencyHistogram latency, shed_latency, send_lag, receive_lag;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& io, const BenchConfig& config, RequestBodies bodies,
             LiveCounts& counts, ThreadHistograms& histograms, ErrorSample& error_sample,
             std::atomic<size_t>& lost)
      : socket_(io),
        config_(config),
        bodies_(std::move(bodies)),
        counts_(counts),
        histograms_(histograms),
        error_sample_(error_sample),
        lost_(lost),
        intended_(kWindow) {
    in_.resize(256 * 1024);
  }

  void connect(const asio::ip::tcp::endpoint& endpoint, std::function<void(std::string)> done) {
    socket_.async_connect(endpoint, [self = shared_from_this(), done](std::error_code ec) {
      if (ec) {
        done("cannot connect: " + ec.message());
        return;
      }
      std::error_code ignore;
      self->socket_.set_option(asio::ip::tcp::no_delay(true), ignore);
      net::enable_receive_dates(self->socket_);
      self->read_more();
      done("");
    });
  }

  // Queues one request intended to leave at `intended`; false when the window is full.
  bool queue(SteadyClock::time_point intended) {
    if (outstanding_ >= kWindow) return false;
    const uint64_t id = next_id_++;
    append_request_frame(out_, id, config_, bodies_.next());
    intended_[id % kWindow] = intended;
    ++outstanding_;
    return true;
  }

  void flush() {
    if (writing_ || out_.empty() || closed_) return;
    std::swap(out_, inflight_);
    out_.clear();
    writing_ = true;
    asio::async_write(socket_, asio::buffer(inflight_),
                      [self = shared_from_this()](std::error_code ec, size_t) {
                        self->writing_ = false;
                        if (ec) return;
                        self->flush();
                      });
  }

  size_t outstanding() const { return outstanding_; }

  void close() {
    closed_ = true;
    std::error_code ec;
    socket_.close(ec);
  }

 private:
  void read_more() {
    net::async_receive_dated(socket_, {in_.data() + in_len_, in_.size() - in_len_},
                             [self = shared_from_this()](const net::DatedReceive& r) {
                               if (r.error || r.eof) {
                                 if (!self->closed_) self->lost_.fetch_add(1);
                                 return;
                               }
                               self->in_len_ += r.bytes;
                               self->on_input(r);
                             });
  }

  // An answer counts as back when the kernel received it (the newest answer of this read:
  // the older ones in it are charged a little more than they took), not when this thread
  // got round to reading it: on a machine the generator shares with the node, its own
  // scheduling delays would otherwise land in the node's latency. They are reported apart
  // as the receive lag.
  void on_input(const net::DatedReceive& r) {
    const auto now = r.newest_arrival.value_or(r.read_at);
    histograms_.receive_lag.record(
        std::chrono::duration_cast<std::chrono::nanoseconds>(r.read_at - now).count());
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
        if (config_.floor) {
          histograms_.latency.record(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         now - intended_[tally_.id % kWindow])
                                         .count());
        }
      } else {
        allowed += tally_.allowed;
        denied += tally_.denied;
        errors += tally_.errors;
        overloaded += tally_.overloaded;
        // Latency from the intended send time, not from when the request actually left.
        (tally_.first_overloaded ? histograms_.shed_latency : histograms_.latency)
            .record(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        now - intended_[tally_.id % kWindow])
                        .count());
      }
      ++requests;
      if (outstanding_ > 0) --outstanding_;
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
    read_more();
  }

  asio::ip::tcp::socket socket_;
  const BenchConfig& config_;
  RequestBodies bodies_;
  LiveCounts& counts_;
  ThreadHistograms& histograms_;
  ErrorSample& error_sample_;
  std::atomic<size_t>& lost_;                      // connections the node closed, over all threads
  std::vector<SteadyClock::time_point> intended_;  // by id % kWindow
  uint64_t next_id_ = 1;
  size_t outstanding_ = 0;
  std::string out_, inflight_;
  bool writing_ = false;
  bool closed_ = false;
  std::vector<uint8_t> in_;
  size_t in_len_ = 0;
  ResponseTally tally_;
};

// One generator thread's schedule: its share of the rate, one timer, its connections.
class Schedule {
 public:
  Schedule(asio::io_context& io, double rate, bool poisson, bool coalesce, uint64_t seed,
           LiveCounts& counts, ThreadHistograms& histograms)
      : timer_(io),
        mean_gap_ns_(1e9 / rate),
        poisson_(poisson),
        coalesce_(coalesce),
        random_(seed),
        counts_(counts),
        histograms_(histograms) {}

  void add(std::shared_ptr<Connection> c) { connections_.push_back(std::move(c)); }

  // Intended times run from `start` until `end`; the first one is `start` itself.
  void start(SteadyClock::time_point start, SteadyClock::time_point end) {
    next_ = start;
    end_ = end;
    tick();
  }

  void stop() {
    timer_.cancel();
    for (auto& c : connections_) c->close();
  }

  size_t outstanding() const {
    size_t n = 0;
    for (const auto& c : connections_) n += c->outstanding();
    return n;
  }

 private:
  void tick() {
    const auto now = SteadyClock::now();
    uint64_t scheduled = 0, sent = 0, unsent = 0;
    while (next_ <= now && next_ < end_) {
      ++scheduled;
      auto& c = *connections_[rr_];
      if (!coalesce_) rr_ = (rr_ + 1) % connections_.size();
      if (c.queue(next_)) {
        ++sent;
        histograms_.send_lag.record(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now - next_).count());
      } else {
        ++unsent;
      }
      next_ += gap();
    }
    if (coalesce_ && scheduled > 0) rr_ = (rr_ + 1) % connections_.size();
    for (auto& c : connections_) c->flush();
    cli::add(counts_.scheduled, scheduled);
    cli::add(counts_.sent, sent);
    cli::add(counts_.unsent, unsent);
    if (next_ >= end_) return;
    timer_.expires_at(std::max(next_, now + kMinTick));
    timer_.async_wait([this](std::error_code ec) {
      if (!ec) tick();
    });
  }

  SteadyClock::duration gap() {
    double ns = mean_gap_ns_;
    if (poisson_) ns = -std::log1p(-random_.unit()) * mean_gap_ns_;
    return std::chrono::nanoseconds(static_cast<int64_t>(ns));
  }

  asio::steady_timer timer_;
  double mean_gap_ns_;
  bool poisson_;
  bool coalesce_;
  Random random_;
  LiveCounts& counts_;
  ThreadHistograms& histograms_;
  std::vector<std::shared_ptr<Connection>> connections_;
  size_t rr_ = 0;
  SteadyClock::time_point next_, end_;
};

}  // namespace

BenchResult run_open_loop(const BenchConfig& config,
                          const std::function<void(const BenchCounts&, double)>& each_second) {
  BenchResult result;
  const size_t threads = std::clamp<size_t>(config.threads, 1, config.connections);
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<LiveCounts> counts(threads);
  std::vector<ThreadHistograms> histograms(threads);
  std::vector<std::unique_ptr<Schedule>> schedules;
  ErrorSample error_sample;
  std::atomic<size_t> lost{0};
  DistinctKeys distinct(config.keys);
  for (size_t t = 0; t < threads; ++t) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
    schedules.push_back(std::make_unique<Schedule>(
        *contexts[t], config.rate / static_cast<double>(threads), config.poisson, config.coalesce,
        config.seed * 1000003 + t, counts[t], histograms[t]));
  }
  std::mutex mutex;
  std::condition_variable connected_cv;
  size_t connected = 0;
  std::string failure;
  for (size_t c = 0; c < config.connections; ++c) {
    const size_t t = c % threads;
    const HostPort& server = config.servers[c % config.servers.size()];
    std::error_code ec;
    const auto address = asio::ip::make_address(server.host, ec);
    if (ec) {
      result.failure = "'" + server.host + "' is not an IP address";
      return result;
    }
    auto conn =
        std::make_shared<Connection>(*contexts[t], config, RequestBodies(config, c, distinct),
                                     counts[t], histograms[t], error_sample, lost);
    conn->connect(asio::ip::tcp::endpoint(address, server.port), [&](std::string why) {
      std::lock_guard lock(mutex);
      if (!why.empty() && failure.empty()) failure = why;
      ++connected;
      connected_cv.notify_all();
    });
    schedules[t]->add(conn);
  }
  std::vector<std::thread> workers;
  for (auto& ctx : contexts) {
    workers.emplace_back([c = ctx.get()] {
      auto guard = asio::make_work_guard(*c);
      c->run();
    });
  }
  auto stop_all = [&] {
    for (size_t t = 0; t < threads; ++t) {
      asio::post(*contexts[t], [&schedules, &contexts, t] {
        schedules[t]->stop();
        contexts[t]->stop();
      });
    }
    for (auto& w : workers) w.join();
  };
  {
    // The schedule starts once every connection is up, so connecting is not in it.
    std::unique_lock lock(mutex);
    connected_cv.wait(lock, [&] { return connected == config.connections; });
    if (!failure.empty()) {
      lock.unlock();
      stop_all();
      result.failure = failure;
      return result;
    }
  }
  const auto started = SteadyClock::now();
  const auto end = started + config.duration;
  for (size_t t = 0; t < threads; ++t) {
    asio::post(*contexts[t], [&schedules, t, started, end] { schedules[t]->start(started, end); });
  }
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
  auto sent_total = [&] {
    uint64_t n = 0;
    for (auto& c : counts) n += c.sent.load(std::memory_order_relaxed);
    return n;
  };
  auto next_tick = started + std::chrono::seconds(1);
  // A node that closed every connection (a refused token, say) answers nothing more.
  auto all_lost = [&] { return lost.load() >= config.connections; };
  while (SteadyClock::now() < end && !all_lost()) {
    std::this_thread::sleep_until(std::min(next_tick, end));
    if (SteadyClock::now() >= next_tick) {
      each_second(totals(), std::chrono::duration<double>(SteadyClock::now() - started).count());
      next_tick += std::chrono::seconds(1);
    }
  }
  // Answers still on their way are awaited (bounded), so a slow tail is counted, not cut.
  const auto drain = std::max<SteadyClock::duration>(
      kMinDrain, std::chrono::milliseconds(3 * static_cast<int64_t>(config.timeout_ms)));
  const auto drain_end = SteadyClock::now() + drain;
  while (totals().requests < sent_total() && SteadyClock::now() < drain_end && !all_lost()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop_all();
  result.seconds = std::chrono::duration<double>(config.duration).count();
  result.counts = totals();
  result.first_error = error_sample.text();
  result.distinct_keys = distinct.count();
  result.distinct_keys_exact = distinct.exact();
  auto& report = result.open_loop;
  for (size_t t = 0; t < threads; ++t) {
    result.latency.merge(histograms[t].latency);
    result.shed_latency.merge(histograms[t].shed_latency);
    report.send_lag.merge(histograms[t].send_lag);
    report.receive_lag.merge(histograms[t].receive_lag);
    report.scheduled += counts[t].scheduled.load(std::memory_order_relaxed);
    report.sent += counts[t].sent.load(std::memory_order_relaxed);
  }
  report.offered_per_sec = static_cast<double>(report.scheduled) / result.seconds;
  report.sent_per_sec = static_cast<double>(report.sent) / result.seconds;
  report.unanswered = report.sent - std::min(report.sent, result.counts.requests);
  judge_open_loop(report, config.rate * result.seconds);
  return result;
}

void judge_open_loop(OpenLoopReport& report, double expected) {
  if (report.send_lag.percentile(0.99) > kMaxSendLagP99Ns) {
    report.behind = true;
    report.behind_reason = "p99 send lag " +
                           std::to_string(report.send_lag.percentile(0.99) / 1000) +
                           " us is above " + std::to_string(kMaxSendLagP99Ns / 1000) + " us";
  } else if (static_cast<double>(report.sent) < 0.99 * expected) {
    report.behind = true;
    report.behind_reason = "sent " + std::to_string(report.sent) + " of the " +
                           std::to_string(static_cast<uint64_t>(expected)) + " requests scheduled";
  }
}

std::string open_loop_text(const OpenLoopReport& r) {
  char line[768];
  std::snprintf(
      line, sizeof line,
      "schedule: offered %.0f requests/s, sent %.0f requests/s; send lag p50 %.1f us  "
      "p99 %.1f us  max %.1f us; unanswered %llu\n"
      "answers read: receive lag (kernel receipt to read, not in the latency) p50 "
      "%.1f us  p99 %.1f us  max %.1f us\n",
      r.offered_per_sec, r.sent_per_sec, static_cast<double>(r.send_lag.percentile(0.5)) / 1000.0,
      static_cast<double>(r.send_lag.percentile(0.99)) / 1000.0,
      static_cast<double>(r.send_lag.max()) / 1000.0, static_cast<unsigned long long>(r.unanswered),
      static_cast<double>(r.receive_lag.percentile(0.5)) / 1000.0,
      static_cast<double>(r.receive_lag.percentile(0.99)) / 1000.0,
      static_cast<double>(r.receive_lag.max()) / 1000.0);
  std::string out = line;
  if (r.behind) {
    out += "INVALID MEASUREMENT: the generator fell behind its schedule (" + r.behind_reason +
           "); it, not the node, limited the rate. Use more --threads or a lower --rate.\n";
  }
  return out;
}

std::string open_loop_json_fields(const OpenLoopReport& r) {
  char fields[512];
  std::snprintf(fields, sizeof fields,
                ",\"offered_per_sec\":%.0f,\"sent_per_sec\":%.0f,\"send_lag_p99_us\":%.1f,"
                "\"send_lag_max_us\":%.1f,\"receive_lag_p99_us\":%.1f,\"unanswered\":%llu,"
                "\"valid\":%s",
                r.offered_per_sec, r.sent_per_sec,
                static_cast<double>(r.send_lag.percentile(0.99)) / 1000.0,
                static_cast<double>(r.send_lag.max()) / 1000.0,
                static_cast<double>(r.receive_lag.percentile(0.99)) / 1000.0,
                static_cast<unsigned long long>(r.unanswered), r.behind ? "false" : "true");
  return fields;
}

}  // namespace drl::cli
