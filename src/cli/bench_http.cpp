#include "cli/bench_http.h"

#include <httplib.h>

#include <string_view>
#include <thread>

namespace drl::cli {
namespace {

// Counts `"allowed":true` / `"allowed":false` and per-check error codes in an answer of
// POST /v1/check (service/http_check.h writes each result's fields in a fixed order).
void tally(std::string_view body, HttpBenchPhase& c) {
  for (size_t at = body.find("{\"allowed\":"); at != std::string_view::npos;
       at = body.find("{\"allowed\":", at + 1)) {
    const std::string_view rest = body.substr(at + 11);
    const bool allowed = rest.substr(0, 4) == "true";
    const size_t code = rest.find("\"code\":\"");
    const bool ok =
        code != std::string_view::npos &&
        (rest.substr(code + 8, 3) == "OK\"" || rest.substr(code + 8, 12) == "MEMORY_FULL\"");
    if (!ok) {
      ++c.errors;
      if (c.first_error.empty()) c.first_error = std::string(rest.substr(0, 200));
    } else if (allowed) {
      ++c.allowed;
    } else {
      ++c.denied;
    }
  }
}

HttpBenchPhase run_connection(const HttpBenchConfig& config, size_t index, bool floor,
                              DistinctKeys& distinct) {
  HttpBenchPhase c;
  const HostPort& s = config.servers[index % config.servers.size()];
  httplib::Client client(s.host, s.port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(std::chrono::seconds(10));
  httplib::Headers headers;
  if (!config.auth_token.empty()) headers.emplace("Authorization", "Bearer " + config.auth_token);
  KeyPicker picker(config.keys, config.key_dist, config.seed * 7919 + index);
  std::string body;
  const auto end = std::chrono::steady_clock::now() + config.duration;
  while (std::chrono::steady_clock::now() < end) {
    body = "{\"checks\":[";
    if (!floor) {
      for (size_t i = 0; i < config.batch; ++i) {
        const uint64_t k = picker.next();
        distinct.mark(k);
        if (i > 0) body += ',';
        body += "{\"key\":\"" + bench_key(k, config.keys) + "\"," + config.spec_json + "}";
      }
    }
    body += "]";
    if (config.timeout_ms > 0) body += ",\"timeout_ms\":" + std::to_string(config.timeout_ms);
    body += "}";
    const auto sent = std::chrono::steady_clock::now();
    auto res = floor ? client.Get("/healthz", headers)
                     : client.Post("/v1/check", headers, body, "application/json");
    const auto now = std::chrono::steady_clock::now();
    ++c.requests;
    if (!res || res->status != 200) {
      c.errors += floor ? 1 : config.batch;
      if (c.first_error.empty()) {
        c.first_error = res ? std::to_string(res->status) + " " + res->body
                            : "HTTP: " + httplib::to_string(res.error());
      }
      if (!res) std::this_thread::sleep_for(std::chrono::milliseconds(10));  // reconnecting
      continue;
    }
    c.latency.record(std::chrono::duration_cast<std::chrono::nanoseconds>(now - sent).count());
    if (!floor) {
      c.checks += config.batch;
      tally(res->body, c);
    }
  }
  return c;
}

HttpBenchPhase run_phase(const HttpBenchConfig& config, bool floor) {
  DistinctKeys distinct(config.keys);
  std::vector<HttpBenchPhase> phases(config.connections);
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < config.connections; ++i) {
    threads.emplace_back([&, i] { phases[i] = run_connection(config, i, floor, distinct); });
  }
  for (auto& t : threads) t.join();
  HttpBenchPhase out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const HttpBenchPhase& p : phases) {
    out.requests += p.requests;
    out.checks += p.checks;
    out.allowed += p.allowed;
    out.denied += p.denied;
    out.errors += p.errors;
    out.latency.merge(p.latency);
    if (out.first_error.empty()) out.first_error = p.first_error;
  }
  out.distinct_keys = floor ? 0 : distinct.count();
  return out;
}

}  // namespace

HttpBenchResult run_http_bench(const HttpBenchConfig& config) {
  HttpBenchResult result;
  if (config.floor) result.floor = run_phase(config, true);
  result.check = run_phase(config, false);
  return result;
}

}  // namespace drl::cli
