#include "cli/bench_smart.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "cli/bench_check_spec.h"
#include "cli/bench_keys.h"
#include "cli/bench_open_loop.h"
#include "drl/client.h"

namespace drl::cli {
namespace {

// One client and its closed loop. Callbacks run on the client's I/O thread, one at a time.
struct Worker {
  std::unique_ptr<Client> client;
  std::mutex picker_mutex;  // the first batches are issued here while answers run the rest
  std::unique_ptr<KeyPicker> picker;
  LatencyHistogram latency;  // I/O thread only, read after the loop drained
  std::atomic<uint64_t> requests{0}, allowed{0}, denied{0}, errors{0}, overloaded{0};
  std::atomic<size_t> outstanding{0};
};

}  // namespace

BenchResult run_smart_bench(
    const BenchConfig& config,
    const std::function<void(const BenchCounts& so_far, double elapsed)>& each_second) {
  BenchResult result;
  if (config.servers.empty()) {
    result.failure = "no servers";
    return result;
  }
  const CheckSpec base = check_spec_from(config.check_template);
  std::atomic<bool> stop{false};
  DistinctKeys distinct(config.keys);
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t i = 0; i < config.connections; ++i) {
    auto w = std::make_unique<Worker>();
    ClientOptions o;
    o.tls = config.tls;
    for (size_t k = 0; k < config.servers.size(); ++k) {
      const HostPort& s = config.servers[(i + k) % config.servers.size()];
      o.nodes.push_back(s.host + ":" + std::to_string(s.port));
    }
    o.route_to_owner = true;
    o.overload_retries = 0;
    o.auth_token = config.auth_token;
    if (config.timeout_ms > 0) o.request_timeout = std::chrono::milliseconds(config.timeout_ms);
    w->client = std::make_unique<Client>(o);
    w->picker = std::make_unique<KeyPicker>(config.keys, config.key_distribution,
                                            config.seed * 1000003 + i);
    workers.push_back(std::move(w));
  }
  using Clock = std::chrono::steady_clock;
  const bool open_loop = config.rate > 0;
  // Issues one batch on `w`, due at `scheduled`; its callback records it and, in the closed
  // loop, issues the next until stopped. Latency counts from `scheduled` (open loop: the
  // intended send time, so a late generator or client adds to it; closed loop: now).
  std::function<void(Worker&, Clock::time_point)> issue = [&](Worker& w,
                                                              Clock::time_point scheduled) {
    std::vector<CheckSpec> batch(config.batch, base);
    {
      std::lock_guard lock(w.picker_mutex);
      for (auto& s : batch) {
        const uint64_t index = w.picker->next();
        distinct.mark(index);
        s.key = bench_key(index, config.keys);
      }
    }
    ++w.outstanding;
    w.client->check_async(batch, [&, scheduled, wp = &w](std::vector<CheckResult> results) {
      Worker& me = *wp;
      bool shed = false;
      for (const auto& r : results) {
        if (r.code == ResultCode::kOk) {
          ++(r.allowed ? me.allowed : me.denied);
        } else {
          ++me.errors;
          if (r.code == ResultCode::kOverloaded) {
            ++me.overloaded;
            shed = true;
          }
        }
      }
      ++me.requests;
      const auto ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - scheduled).count();
      if (!shed) me.latency.record(ns);  // latency of decided requests only, as run_bench
      if (!open_loop && !stop.load(std::memory_order_relaxed)) issue(me, Clock::now());
      --me.outstanding;
    });
  };
  auto totals = [&] {
    BenchCounts c;
    for (auto& w : workers) {
      c.requests += w->requests;
      c.allowed += w->allowed;
      c.denied += w->denied;
      c.errors += w->errors;
      c.overloaded += w->overloaded;
    }
    return c;
  };
  const auto start = Clock::now();
  const auto end = start + config.duration;
  auto next_second = start + std::chrono::seconds(1);
  auto report_seconds = [&](Clock::time_point now) {
    for (; next_second <= now && next_second < end; next_second += std::chrono::seconds(1)) {
      each_second(totals(), std::chrono::duration<double>(next_second - start).count());
    }
  };
  if (open_loop) {
    // Request i is due at start + i / rate; each goes to the next client in turn, whatever
    // the answers do. The pacer wakes at the next due time (or the next progress line).
    const double ns_per_request = 1e9 / config.rate;
    auto due_at = [&](uint64_t i) {
      return start + std::chrono::nanoseconds(static_cast<int64_t>(i * ns_per_request));
    };
    uint64_t issued = 0;
    for (auto now = Clock::now(); now < end; now = Clock::now()) {
      for (; due_at(issued) <= now && due_at(issued) < end; ++issued) {
        const auto scheduled = due_at(issued);
        result.open_loop.send_lag.record(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now - scheduled).count());
        issue(*workers[issued % workers.size()], scheduled);
      }
      report_seconds(now);
      std::this_thread::sleep_until(std::min({due_at(issued), next_second, end}));
    }
    result.open_loop.scheduled = static_cast<uint64_t>(
        std::ceil(config.rate * std::chrono::duration<double>(config.duration).count()));
    result.open_loop.sent = issued;
  } else {
    for (auto& w : workers) {
      for (size_t p = 0; p < config.pipeline; ++p) issue(*w, Clock::now());
    }
    for (; next_second < end;) {
      std::this_thread::sleep_until(next_second);
      report_seconds(Clock::now());
    }
    std::this_thread::sleep_until(end);
  }
  stop = true;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.counts = totals();
  // Let the batches in flight finish (each Client fails its own on destruction anyway).
  for (auto& w : workers) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (w->outstanding.load() > 0 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    w->client.reset();
    result.latency.merge(w->latency);
  }
  if (open_loop) {
    result.counts = totals();  // with the answers that came during the drain
    auto& report = result.open_loop;
    report.offered_per_sec = static_cast<double>(report.scheduled) / result.seconds;
    report.sent_per_sec = static_cast<double>(report.sent) / result.seconds;
    report.unanswered = report.sent - std::min(report.sent, result.counts.requests);
    judge_open_loop(report, config.rate * result.seconds);
  }
  result.distinct_keys = distinct.count();
  result.distinct_keys_exact = distinct.exact();
  return result;
}

}  // namespace drl::cli
