#include "cli/bench_smart.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "cli/bench_check_spec.h"
#include "cli/bench_keys.h"
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
  // Issues one batch on `w`; its callback records it and issues the next until stopped.
  std::function<void(Worker&)> issue = [&](Worker& w) {
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
    const auto sent = std::chrono::steady_clock::now();
    w.client->check_async(batch, [&, sent, wp = &w](std::vector<CheckResult> results) {
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
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now() - sent)
                          .count();
      if (!shed) me.latency.record(ns);  // latency of decided requests only, as run_bench
      if (!stop.load(std::memory_order_relaxed)) issue(me);
      --me.outstanding;
    });
  };
  const auto start = std::chrono::steady_clock::now();
  for (auto& w : workers) {
    for (size_t p = 0; p < config.pipeline; ++p) issue(*w);
  }
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
  const auto end = start + config.duration;
  for (auto next = start + std::chrono::seconds(1); next < end; next += std::chrono::seconds(1)) {
    std::this_thread::sleep_until(next);
    each_second(totals(), std::chrono::duration<double>(next - start).count());
  }
  std::this_thread::sleep_until(end);
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
  result.distinct_keys = distinct.count();
  result.distinct_keys_exact = distinct.exact();
  return result;
}

}  // namespace drl::cli
