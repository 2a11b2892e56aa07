#include "cli/bench_ledger.h"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <thread>
#include <tuple>

#include "cli/bench_check_spec.h"
#include "cli/bench_keys.h"
#include "drl/client.h"

namespace drl::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct WindowCount {
  uint64_t allowed = 0, decided = 0;
};

// One worker's account; written by its thread only, merged after join.
struct Worker {
  std::unique_ptr<Client> client;
  std::map<std::pair<uint64_t, int64_t>, WindowCount> windows;  // (key, window_end_ms)
  std::map<std::pair<int64_t, std::string>, uint64_t> errors;   // (unix second, code)
  LatencyHistogram latency;
  std::atomic<uint64_t> requests{0}, allowed{0}, denied{0}, errors_total{0}, overloaded{0};
  std::thread thread;
};

void work(Worker& w, const BenchConfig& config, const CheckSpec& base, uint64_t seed,
          SteadyClock::time_point end, SteadyClock::duration period) {
  KeyPicker picker(config.keys, config.key_distribution, seed);
  std::vector<CheckSpec> batch(config.batch, base);
  std::vector<uint64_t> picked(config.batch);
  auto next = SteadyClock::now();
  while (SteadyClock::now() < end) {
    if (period.count() > 0) {
      std::this_thread::sleep_until(next);
      next += period;
      const auto now = SteadyClock::now();
      while (next < now) next += period;  // skip the slots a slow answer made us miss
      if (now >= end) break;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      picked[i] = picker.next();
      batch[i].key = "ledger:" + std::to_string(picked[i]);
    }
    const auto sent = SteadyClock::now();
    const auto results = w.client->check(batch);
    w.latency.record(
        std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - sent).count());
    const int64_t second = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    for (size_t i = 0; i < results.size() && i < picked.size(); ++i) {
      const CheckResult& r = results[i];
      if (r.code != ResultCode::kOk) {
        ++w.errors[{second, result_code_name(r.code)}];
        w.errors_total.fetch_add(1, std::memory_order_relaxed);
        if (r.code == ResultCode::kOverloaded) w.overloaded.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      auto& c = w.windows[{picked[i], r.reset_at_ms}];
      ++c.decided;
      if (r.allowed) {
        ++c.allowed;
        w.allowed.fetch_add(1, std::memory_order_relaxed);
      } else {
        w.denied.fetch_add(1, std::memory_order_relaxed);
      }
    }
    w.requests.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

BenchResult run_ledger_bench(const BenchConfig& config,
                             const std::function<void(const BenchCounts&, double)>& each_second) {
  BenchResult result;
  const std::string& ledger_path = config.ledger_path;
  std::ofstream out(ledger_path);
  if (!out) {
    result.failure = "--ledger: cannot write " + ledger_path;
    return result;
  }
  if (config.servers.empty() || config.connections == 0) {
    result.failure = "no servers or no connections";
    return result;
  }
  const CheckSpec base = check_spec_from(config.check_template);
  SteadyClock::duration period{0};
  if (config.rate > 0) {
    period = std::chrono::duration_cast<SteadyClock::duration>(
        std::chrono::duration<double>(static_cast<double>(config.connections) / config.rate));
  }
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t i = 0; i < config.connections; ++i) {
    auto w = std::make_unique<Worker>();
    ClientOptions o;
    o.tls = config.tls;
    for (size_t k = 0; k < config.servers.size(); ++k) {
      const HostPort& s = config.servers[(i + k) % config.servers.size()];
      o.nodes.push_back(s.host + ":" + std::to_string(s.port));
    }
    o.connect_timeout = std::chrono::milliseconds(500);
    o.auth_token = config.auth_token;
    if (config.timeout_ms > 0) o.request_timeout = std::chrono::milliseconds(config.timeout_ms);
    w->client = std::make_unique<Client>(o);
    workers.push_back(std::move(w));
  }
  const auto start = SteadyClock::now();
  const auto end = start + config.duration;
  for (size_t i = 0; i < workers.size(); ++i) {
    Worker* w = workers[i].get();
    w->thread = std::thread([w, &config, &base, end, period, seed = config.seed * 1000003 + i] {
      work(*w, config, base, seed, end, period);
    });
  }
  auto totals = [&] {
    BenchCounts c;
    for (auto& w : workers) {
      c.requests += w->requests.load(std::memory_order_relaxed);
      c.allowed += w->allowed.load(std::memory_order_relaxed);
      c.denied += w->denied.load(std::memory_order_relaxed);
      c.errors += w->errors_total.load(std::memory_order_relaxed);
      c.overloaded += w->overloaded.load(std::memory_order_relaxed);
    }
    return c;
  };
  for (auto next = start + std::chrono::seconds(1); next < end; next += std::chrono::seconds(1)) {
    std::this_thread::sleep_until(next);
    each_second(totals(), std::chrono::duration<double>(next - start).count());
  }
  for (auto& w : workers) w->thread.join();
  result.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  result.counts = totals();
  std::map<std::pair<uint64_t, int64_t>, WindowCount> windows;
  std::map<std::pair<int64_t, std::string>, uint64_t> errors;
  for (auto& w : workers) {
    result.latency.merge(w->latency);
    for (const auto& [k, c] : w->windows) {
      windows[k].allowed += c.allowed;
      windows[k].decided += c.decided;
    }
    for (const auto& [k, n] : w->errors) errors[k] += n;
  }
  for (const auto& [k, c] : windows) {
    out << "A\tledger:" << k.first << '\t' << k.second << '\t' << c.allowed << '\t' << c.decided
        << '\n';
  }
  for (const auto& [k, n] : errors)
    out << "E\t" << k.first << '\t' << k.second << '\t' << n << '\n';
  out.flush();
  if (!out) result.failure = "--ledger: cannot write " + ledger_path;
  return result;
}

int run_ledger_command(const BenchConfig& config, bool json) {
  const auto result = run_ledger_bench(config, [](const BenchCounts& c, double t) {
    std::fprintf(stderr, "[%5.1fs] allowed %llu denied %llu errors %llu\n", t,
                 static_cast<unsigned long long>(c.allowed),
                 static_cast<unsigned long long>(c.denied),
                 static_cast<unsigned long long>(c.errors));
  });
  if (!result.failure.empty()) {
    std::fprintf(stderr, "drl bench: %s\n", result.failure.c_str());
    return 2;
  }
  const auto& c = result.counts;
  const auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  const double us50 = static_cast<double>(result.latency.percentile(0.5)) / 1000.0;
  const double us99 = static_cast<double>(result.latency.percentile(0.99)) / 1000.0;
  const double cps = static_cast<double>(c.allowed + c.denied + c.errors) / result.seconds;
  if (json) {
    std::printf(
        "{\"checks_per_sec\":%.0f,\"requests\":%llu,\"allowed\":%llu,\"denied\":%llu,"
        "\"errors\":%llu,\"overloaded\":%llu,\"seconds\":%.2f,\"p50_us\":%.1f,"
        "\"p99_us\":%.1f,\"ledger\":\"%s\"}\n",
        cps, u(c.requests), u(c.allowed), u(c.denied), u(c.errors), u(c.overloaded), result.seconds,
        us50, us99, config.ledger_path.c_str());
  } else {
    std::printf(
        "%.0f checks/s over %.1f s: allowed %llu  denied %llu  errors %llu "
        "(overloaded %llu); p50 %.1f us  p99 %.1f us; ledger in %s\n",
        cps, result.seconds, u(c.allowed), u(c.denied), u(c.errors), u(c.overloaded), us50, us99,
        config.ledger_path.c_str());
  }
  return c.errors > 0 && c.allowed + c.denied == 0 ? 2 : 0;
}

}  // namespace drl::cli
