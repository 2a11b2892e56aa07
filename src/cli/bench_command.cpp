// `drl bench`: a load generator against one or more nodes.
#include <cstdio>
#include <memory>

#include "cli/bench_http.h"
#include "cli/bench_ledger.h"
#include "cli/bench_load.h"
#include "cli/bench_rls.h"
#include "cli/bench_smart.h"
#include "cli/client_tls_args.h"
#include "cli/commands.h"
#include "cli/default_address.h"
#include "cli/limit_args.h"
#include "cli/token_file_arg.h"
#include "common/host_port.h"

namespace drl::cli {

namespace {

void print_rls_phase(const char* name, const RlsBenchPhase& p) {
  auto us = [&](double q) { return static_cast<double>(p.latency.percentile(q)) / 1000.0; };
  std::printf(
      "%-6s %10.0f calls/s  p50 %.1f us  p99 %.1f us  p99.9 %.1f us  (%llu calls, %llu "
      "errors)\n",
      name, static_cast<double>(p.calls) / p.seconds, us(0.5), us(0.99), us(0.999),
      static_cast<unsigned long long>(p.calls), static_cast<unsigned long long>(p.errors));
}

std::string rls_phase_json(const RlsBenchPhase& p) {
  auto us = [&](double q) { return static_cast<double>(p.latency.percentile(q)) / 1000.0; };
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "{\"calls_per_sec\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,"
                "\"calls\":%llu,\"ok\":%llu,\"over_limit\":%llu,\"errors\":%llu,\"seconds\":%.2f}",
                static_cast<double>(p.calls) / p.seconds, us(0.5), us(0.99), us(0.999),
                static_cast<unsigned long long>(p.calls), static_cast<unsigned long long>(p.ok),
                static_cast<unsigned long long>(p.over_limit),
                static_cast<unsigned long long>(p.errors), p.seconds);
  return buf;
}

template <typename Args>
int run_rls_bench_command(const Args& a) {
  RlsBenchConfig config;
  auto servers = parse_host_port_list(a.servers, PortZero::kAllowed);
  if (!servers) {
    std::fprintf(stderr, "drl bench: --servers: %s\n", servers.status().message().c_str());
    return 2;
  }
  config.servers = std::move(*servers);
  if (auto err = parse_window(a.duration, config.duration); !err.empty()) {
    std::fprintf(stderr, "drl bench: --duration: %s\n", err.c_str());
    return 2;
  }
  if (a.connections == 0 || a.pipeline == 0 || a.keys == 0) {
    std::fprintf(stderr, "drl bench: --connections, --pipeline and --keys must be >= 1\n");
    return 2;
  }
  config.connections = a.connections;
  config.pipeline = a.pipeline;
  config.keys = a.keys;
  config.seed = a.seed;
  config.domain = a.rls_domain;
  config.descriptor_key = a.rls_key;
  const RlsBenchResult r = run_rls_bench(config);
  const double floor_cps = static_cast<double>(r.floor.calls) / r.floor.seconds;
  const double rls_cps = static_cast<double>(r.rls.calls) / r.rls.seconds;
  const double ratio = floor_cps > 0 ? rls_cps / floor_cps : 0;
  if (a.json) {
    std::printf(
        "{\"protocol\":\"rls\",\"connections\":%zu,\"pipeline\":%zu,\"keys\":%zu,"
        "\"floor\":%s,\"rls\":%s,\"ratio_to_floor\":%.3f}\n",
        config.connections, config.pipeline, config.keys, rls_phase_json(r.floor).c_str(),
        rls_phase_json(r.rls).c_str(), ratio);
  } else {
    std::printf("gRPC, %zu channels x %zu calls in flight, %.1f s per phase\n", config.connections,
                config.pipeline, r.rls.seconds);
    print_rls_phase("floor", r.floor);
    print_rls_phase("rls", r.rls);
    std::printf("rls / floor: %.2f   (rls: ok %llu, over limit %llu)\n", ratio,
                static_cast<unsigned long long>(r.rls.ok),
                static_cast<unsigned long long>(r.rls.over_limit));
  }
  for (const auto* p : {&r.floor, &r.rls}) {
    if (!p->first_error.empty())
      std::fprintf(stderr, "drl bench: first error: %s\n", p->first_error.c_str());
  }
  return r.rls.calls > r.rls.errors ? 0 : 2;
}

void print_http_phase(const char* name, const HttpBenchPhase& p) {
  auto us = [&](double q) { return static_cast<double>(p.latency.percentile(q)) / 1000.0; };
  std::printf(
      "%-6s %10.0f requests/s %10.0f checks/s  p50 %.1f us  p99 %.1f us  p99.9 %.1f us  (%llu "
      "requests, %llu errors)\n",
      name, static_cast<double>(p.requests) / p.seconds, static_cast<double>(p.checks) / p.seconds,
      us(0.5), us(0.99), us(0.999), static_cast<unsigned long long>(p.requests),
      static_cast<unsigned long long>(p.errors));
}

std::string http_phase_json(const HttpBenchPhase& p) {
  auto us = [&](double q) { return static_cast<double>(p.latency.percentile(q)) / 1000.0; };
  char buf[400];
  std::snprintf(
      buf, sizeof buf,
      "{\"requests_per_sec\":%.0f,\"checks_per_sec\":%.0f,\"p50_us\":%.1f,"
      "\"p99_us\":%.1f,\"p999_us\":%.1f,\"requests\":%llu,\"checks\":%llu,"
      "\"allowed\":%llu,\"denied\":%llu,\"errors\":%llu,\"distinct_keys\":%llu,"
      "\"seconds\":%.2f}",
      static_cast<double>(p.requests) / p.seconds, static_cast<double>(p.checks) / p.seconds,
      us(0.5), us(0.99), us(0.999), static_cast<unsigned long long>(p.requests),
      static_cast<unsigned long long>(p.checks), static_cast<unsigned long long>(p.allowed),
      static_cast<unsigned long long>(p.denied), static_cast<unsigned long long>(p.errors),
      static_cast<unsigned long long>(p.distinct_keys), p.seconds);
  return buf;
}

// --protocol http: the checks of `native` (limit or policy, keys, batch, deadline, token) as
// JSON to the nodes' --http addresses.
int run_http_bench_command(const BenchConfig& native, bool json) {
  HttpBenchConfig config;
  config.servers = native.servers;
  config.connections = native.connections;
  config.batch = native.batch;
  config.keys = native.keys;
  config.key_dist = native.key_distribution;
  config.duration = native.duration;
  config.timeout_ms = native.timeout_ms;
  config.auth_token = native.auth_token;
  config.seed = native.seed;
  const wire::Check& t = native.check_template;
  if (t.has_limit()) {
    config.spec_json = "\"limit\":{\"algorithm\":\"" + wire::Algorithm_Name(t.limit().algorithm()) +
                       "\",\"limit\":" + std::to_string(t.limit().limit()) +
                       ",\"window_ms\":" + std::to_string(t.limit().window_ms()) + "}";
  } else {
    config.spec_json = "\"policy\":" + json_string(t.policy());
  }
  const HttpBenchResult r = run_http_bench(config);
  const double floor_rps = static_cast<double>(r.floor.requests) / r.floor.seconds;
  const double rps = static_cast<double>(r.check.requests) / r.check.seconds;
  const double ratio = floor_rps > 0 ? rps / floor_rps : 0;
  if (json) {
    std::printf(
        "{\"protocol\":\"http\",\"connections\":%zu,\"batch\":%zu,\"keys\":%llu,"
        "\"key_dist\":\"%s\",\"floor\":%s,\"http\":%s,\"ratio_to_floor\":%.3f}\n",
        config.connections, config.batch, static_cast<unsigned long long>(config.keys),
        key_distribution_name(config.key_dist).c_str(), http_phase_json(r.floor).c_str(),
        http_phase_json(r.check).c_str(), ratio);
  } else {
    std::printf(
        "HTTP/1.1 keep-alive, %zu connections x 1 request in flight x batch %zu, %.1f s "
        "per phase\n",
        config.connections, config.batch, r.check.seconds);
    print_http_phase("floor", r.floor);
    print_http_phase("http", r.check);
    std::printf("http / floor (requests): %.2f   allowed %llu  denied %llu\n", ratio,
                static_cast<unsigned long long>(r.check.allowed),
                static_cast<unsigned long long>(r.check.denied));
    std::printf("keys asked for: %llu distinct of %llu (%s)\n",
                static_cast<unsigned long long>(r.check.distinct_keys),
                static_cast<unsigned long long>(config.keys),
                key_distribution_name(config.key_dist).c_str());
  }
  for (const auto* p : {&r.floor, &r.check}) {
    if (!p->first_error.empty())
      std::fprintf(stderr, "drl bench: first error: %s\n", p->first_error.c_str());
  }
  return r.check.checks > 0 && r.check.errors < r.check.checks ? 0 : 2;
}

}  // namespace

Handler register_bench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Load nodes with checks; print throughput and latency.");
  cmd->footer(
      "Examples:\n"
      "  drl bench --servers 127.0.0.1:7000 --duration 10s\n"
      "  drl bench --servers 127.0.0.1:7000 --connections 50 --pipeline 16 --batch 64\n"
      "  drl bench --servers 127.0.0.1:7000,127.0.0.1:7001 --keys 1000 --limit 100 "
      "--window 1s --json\n"
      "  drl bench --servers 127.0.0.1:7000 --rate 50000 --connections 8 --timeout-ms 100\n"
      "Closed loop (default): each connection keeps --pipeline requests of --batch checks in\n"
      "flight. Open loop (--rate R): R requests/s leave on a fixed schedule whatever the\n"
      "answers do, and latency counts from each request's scheduled send time (no coordinated\n"
      "omission); --poisson spaces them as a seeded Poisson process. The report says how far\n"
      "the generator fell behind its schedule, and calls the run INVALID if it did.\n"
      "Every check draws its key afresh from the --keys keys bench:<index> (uniformly, or\n"
      "Zipf-skewed with --key-dist zipf:S, index 0 the hottest), and the report counts the\n"
      "distinct keys asked for, so the work behind a figure is visible. Latency is per\n"
      "request, from a histogram; requests answered OVERLOADED are reported apart from\n"
      "decided ones.\n"
      "Progress is printed each second on stderr; the result on stdout (--json: one line).");
  struct Args {
    std::string servers = kDefaultAddress, duration = "10s", algorithm = "token_bucket",
                window = "1s", policy, key_dist = "uniform";
    size_t connections = 50, pipeline = 16, batch = 1, keys = 100000, threads = 1;
    uint64_t limit = 1000000, seed = 1;
    double rate = 0;
    uint32_t timeout_ms = 0;
    std::string token_file;
    ClientTlsArgs tls;
    bool json = false;
    bool poisson = false;
    bool coalesce = false;
    bool floor = false;
    bool smart = false;
    std::string ledger;
    std::string protocol = "native", rls_domain = "bench", rls_key = "key";
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--servers", a->servers, "Nodes, HOST:PORT[,HOST:PORT...]")
      ->capture_default_str();
  cmd->add_option("--connections", a->connections, "TCP connections in total")
      ->capture_default_str();
  cmd->add_option("--pipeline", a->pipeline, "Requests in flight per connection")
      ->capture_default_str();
  cmd->add_option("--batch", a->batch, "Checks per request")->capture_default_str();
  cmd->add_option("--keys", a->keys, "Keys to draw from (bench:0 .. bench:<keys-1>)")
      ->capture_default_str();
  cmd->add_option("--key-dist", a->key_dist,
                  "How keys are drawn: uniform, zipf:S (P(rank k) ~ 1/k^S; e.g. zipf:0.99), or "
                  "sequential (key 0, 1, 2, ... across all connections: N checks fill N keys)")
      ->capture_default_str();
  cmd->add_option("--duration", a->duration, "How long to run, e.g. 10s, 1m")
      ->capture_default_str();
  cmd->add_option("--algorithm", a->algorithm, "Inline limit: algorithm")->capture_default_str();
  cmd->add_option("--limit", a->limit, "Inline limit: admissions per window per key")
      ->capture_default_str();
  cmd->add_option("--window", a->window, "Inline limit: window")->capture_default_str();
  cmd->add_option("--policy", a->policy, "Use this policy instead of an inline limit");
  cmd->add_option("--threads", a->threads, "Load generator I/O threads")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the key choice")->capture_default_str();
  cmd->add_option("--rate", a->rate, "Open loop: requests per second in total (0 = closed loop)")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", a->timeout_ms,
                  "Deadline sent with each request (0 = the node's default)")
      ->capture_default_str();
  cmd->add_flag("--json", a->json, "Print the result as one JSON line");
  cmd->add_option("--token-file", a->token_file,
                  "File holding the client token, for nodes with --client-tokens-file");
  add_client_tls_options(cmd, a->tls);
  cmd->add_flag("--poisson", a->poisson,
                "Open loop: Poisson arrivals (seeded by --seed) instead of evenly spaced");
  cmd->add_flag("--coalesce", a->coalesce,
                "Open loop: requests due at the same timer tick (100 us) leave together on "
                "one connection, the next each tick, as a pipelining client sends its queue "
                "(default: each request to the next connection, one write each)");
  cmd->add_flag("--floor", a->floor,
                "Send empty check requests, which the node answers EMPTY_REQUEST without "
                "deciding: the bare request/response floor of this node, generator and machine "
                "(latency as for checks; the answers count as errors)");
  cmd->add_flag("--smart", a->smart,
                "Send through the client library routing each check to its key's owner "
                "(ClientOptions::route_to_owner); one client per connection; with --rate, "
                "the batches go to the clients in turn");
  cmd->add_option("--ledger", a->ledger,
                  "Chaos runs: send through failing-over clients (paced by --rate) and write "
                  "every admission by key and window, and every error, to FILE "
                  "(src/cli/bench_ledger.h)");
  cmd->add_option("--protocol", a->protocol,
                  "native (drl's frames), rls (Envoy's rate limit service over gRPC: --servers "
                  "are the nodes' --grpc addresses; a no-op gRPC floor is measured first) or "
                  "http (POST /v1/check: --servers are the nodes' --http addresses; one request "
                  "in flight per connection; a GET /healthz floor is measured first)")
      ->check(CLI::IsMember({"native", "rls", "http"}))
      ->capture_default_str();
  cmd->add_option("--rls-domain", a->rls_domain,
                  "--protocol rls: the domain (the nodes' --rls-config must limit it)")
      ->capture_default_str();
  cmd->add_option("--rls-descriptor-key", a->rls_key,
                  "--protocol rls: the descriptor's key; its value is bench:<i>")
      ->capture_default_str();
  return [a] {
    if (a->protocol == "rls") return run_rls_bench_command(*a);
    BenchConfig config;
    auto servers = parse_host_port_list(a->servers, PortZero::kAllowed);
    if (!servers) {
      std::fprintf(stderr, "drl bench: --servers: %s\n", servers.status().message().c_str());
      return 2;
    }
    config.servers = std::move(*servers);
    std::chrono::milliseconds duration{0}, window{0};
    if (auto err = parse_window(a->duration, duration); !err.empty()) {
      std::fprintf(stderr, "drl bench: --duration: %s\n", err.c_str());
      return 2;
    }
    if (a->policy.empty()) {
      Algorithm algorithm;
      if (!parse_algorithm_arg(a->algorithm, algorithm)) {
        std::fprintf(stderr, "drl bench: unknown --algorithm '%s'\n", a->algorithm.c_str());
        return 2;
      }
      if (auto err = parse_window(a->window, window); !err.empty()) {
        std::fprintf(stderr, "drl bench: --window: %s\n", err.c_str());
        return 2;
      }
      auto* l = config.check_template.mutable_limit();
      l->set_algorithm(static_cast<wire::Algorithm>(algorithm));
      l->set_limit(a->limit);
      l->set_window_ms(static_cast<uint64_t>(window.count()));
    } else {
      config.check_template.set_policy(a->policy);
    }
    if (a->connections == 0 || a->pipeline == 0 || a->batch == 0 || a->batch > 4096 ||
        a->keys == 0) {
      std::fprintf(stderr,
                   "drl bench: --connections, --pipeline and --keys must be >= 1, --batch "
                   "1..4096\n");
      return 2;
    }
    if (auto err = parse_key_distribution(a->key_dist, config.key_distribution); !err.empty()) {
      std::fprintf(stderr, "drl bench: --key-dist: %s\n", err.c_str());
      return 2;
    }
    config.connections = a->connections;
    config.pipeline = a->pipeline;
    config.batch = a->batch;
    config.keys = a->keys;
    config.threads = a->threads;
    config.duration = duration;
    config.seed = a->seed;
    if (a->rate < 0) {
      std::fprintf(stderr, "drl bench: --rate must be >= 0\n");
      return 2;
    }
    config.rate = a->rate;
    config.poisson = a->poisson;
    config.coalesce = a->coalesce;
    config.floor = a->floor;
    config.timeout_ms = a->timeout_ms;
    if (!read_token_file_arg(a->token_file, "drl bench", config.auth_token)) return 2;
    config.tls = client_tls_from(a->tls);
    if (config.tls.enabled && a->protocol != "native") {
      std::fprintf(stderr, "drl bench: --tls-* flags are for --protocol native only\n");
      return 2;
    }
    if (a->protocol == "http") {
      if (a->floor || a->smart || !a->ledger.empty() || a->rate > 0) {
        std::fprintf(stderr,
                     "drl bench: --protocol http is a closed loop of its own (it measures its "
                     "floor itself): not with --floor, --smart, --ledger or --rate\n");
        return 2;
      }
      return run_http_bench_command(config, a->json);
    }
    if (a->floor && (a->smart || !a->ledger.empty())) {
      std::fprintf(stderr, "drl bench: --floor sends raw frames: not with --smart or --ledger\n");
      return 2;
    }
    config.ledger_path = a->ledger;
    if (!config.ledger_path.empty()) return run_ledger_command(config, a->json);
    BenchCounts last;
    double last_t = 0;
    auto run = a->smart ? run_smart_bench : run_bench;
    auto result = run(config, [&](const BenchCounts& c, double t) {
      const double checks = static_cast<double>((c.allowed + c.denied + c.errors) -
                                                (last.allowed + last.denied + last.errors));
      std::fprintf(stderr,
                   "[%5.1fs] %10.0f checks/s  allowed %llu denied %llu errors %llu (overloaded "
                   "%llu)\n",
                   t, checks / (t - last_t), static_cast<unsigned long long>(c.allowed),
                   static_cast<unsigned long long>(c.denied),
                   static_cast<unsigned long long>(c.errors),
                   static_cast<unsigned long long>(c.overloaded));
      last = c;
      last_t = t;
    });
    if (!result.failure.empty()) {
      std::fprintf(stderr, "drl bench: %s\n", result.failure.c_str());
      return 2;
    }
    if (!result.first_error.empty()) {
      std::fprintf(stderr, "drl bench: a node answered a request with an error: %s\n",
                   result.first_error.c_str());
    }
    const auto& c = result.counts;
    const double checks = static_cast<double>(c.allowed + c.denied + c.errors);
    const double cps = checks / result.seconds;
    const double rps = static_cast<double>(c.requests) / result.seconds;
    auto us = [&](double q) { return static_cast<double>(result.latency.percentile(q)) / 1000.0; };
    auto shed_us = [&](double q) {
      return static_cast<double>(result.shed_latency.percentile(q)) / 1000.0;
    };
    const double decided_cps = static_cast<double>(c.allowed + c.denied) / result.seconds;
    const std::string open_loop_fields =
        config.rate > 0 ? open_loop_json_fields(result.open_loop) : std::string();
    if (config.rate > 0 && result.open_loop.behind) {
      std::fprintf(stderr, "drl bench: INVALID MEASUREMENT: the generator fell behind (%s)\n",
                   result.open_loop.behind_reason.c_str());
    }
    if (a->json) {
      std::printf(
          "{\"checks_per_sec\":%.0f,\"requests_per_sec\":%.0f,\"p50_us\":%.1f,\"p90_us\":%.1f,"
          "\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"allowed\":%llu,\"denied\":%llu,"
          "\"errors\":%llu,\"seconds\":%.2f,\"connections\":%zu,\"pipeline\":%zu,\"batch\":%zu,"
          "\"rate\":%.0f,\"decided_per_sec\":%.0f,\"overloaded\":%llu,\"unsent\":%llu,"
          "\"shed_p99_us\":%.1f,\"keys\":%zu,\"key_dist\":\"%s\",\"distinct_keys\":%llu,"
          "\"distinct_keys_exact\":%s%s}\n",
          cps, rps, us(0.5), us(0.9), us(0.99), us(0.999),
          static_cast<double>(result.latency.max()) / 1000.0,
          static_cast<unsigned long long>(c.allowed), static_cast<unsigned long long>(c.denied),
          static_cast<unsigned long long>(c.errors), result.seconds, config.connections,
          config.pipeline, config.batch, config.rate, decided_cps,
          static_cast<unsigned long long>(c.overloaded), static_cast<unsigned long long>(c.unsent),
          shed_us(0.99), config.keys, key_distribution_name(config.key_distribution).c_str(),
          static_cast<unsigned long long>(result.distinct_keys),
          result.distinct_keys_exact ? "true" : "false", open_loop_fields.c_str());
    } else {
      std::printf(
          "%.0f checks/s (%.0f requests/s) over %.1f s; %zu connections x pipeline %zu x "
          "batch %zu\n",
          cps, rps, result.seconds, config.connections, config.pipeline, config.batch);
      std::printf(
          "latency per decided request: p50 %.1f us  p90 %.1f us  p99 %.1f us  p99.9 %.1f us  "
          "max %.1f us\n",
          us(0.5), us(0.9), us(0.99), us(0.999),
          static_cast<double>(result.latency.max()) / 1000.0);
      std::printf(
          "allowed %llu  denied %llu  errors %llu\n", static_cast<unsigned long long>(c.allowed),
          static_cast<unsigned long long>(c.denied), static_cast<unsigned long long>(c.errors));
      if (!config.floor) {
        std::printf("keys asked for: %llu distinct%s of %zu (%s)\n",
                    static_cast<unsigned long long>(result.distinct_keys),
                    result.distinct_keys_exact ? "" : " (estimated)", config.keys,
                    key_distribution_name(config.key_distribution).c_str());
      }
      if (config.rate > 0 || c.overloaded > 0) {
        std::printf(
            "open loop at %.0f requests/s offered: %.0f checks/s decided; overloaded %llu "
            "(p50 %.1f us  p99 %.1f us); unsent %llu\n",
            config.rate, decided_cps, static_cast<unsigned long long>(c.overloaded), shed_us(0.5),
            shed_us(0.99), static_cast<unsigned long long>(c.unsent));
      }
      if (config.rate > 0) std::fputs(open_loop_text(result.open_loop).c_str(), stdout);
    }
    if (config.floor) return c.requests > 0 ? 0 : 2;
    return c.errors > 0 && c.allowed + c.denied == 0 ? 2 : 0;
  };
}

}  // namespace drl::cli
