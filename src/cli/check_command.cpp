// `drl check`: asks a node about one key and prints the answer.
// Exit code: 0 allowed, 1 denied, 2 error (bad arguments, unreachable node, bad check).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/client_tls_args.h"
#include "cli/commands.h"
#include "cli/default_address.h"
#include "cli/limit_args.h"
#include "cli/token_file_arg.h"
#include "drl/client.h"

namespace drl::cli {

Handler register_check(CLI::App& app) {
  auto* cmd = app.add_subcommand("check", "Ask a node whether KEY may spend COST now.");
  cmd->footer(
      "Examples:\n"
      "  drl check --server 127.0.0.1:7000 user:42 --limit 10 --window 1s\n"
      "  drl check --server 127.0.0.1:7000 user:42 --limit 100 --window 1m --algorithm "
      "sliding_window\n"
      "  drl check --server 127.0.0.1:7000 user:42 --policy api_per_user --cost 5 --json\n"
      "Exit code: 0 allowed, 1 denied, 2 error. Algorithms: token_bucket (default),\n"
      "leaky_bucket, fixed_window, sliding_log, sliding_window.");
  struct Args {
    std::string server = kDefaultAddress, key, policy, window, algorithm = "token_bucket";
    std::string token_file;
    ClientTlsArgs tls;
    uint64_t limit = 0, burst = 0, cost = 1;
    bool json = false, reset = false, refund = false, drain = false, shadow = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--server", a->server, "Node to ask, HOST:PORT")->capture_default_str();
  cmd->add_option("--token-file", a->token_file,
                  "File holding the client token, for nodes with --client-tokens-file");
  add_client_tls_options(cmd, a->tls);
  cmd->add_option("key", a->key, "The key to check (user id, API key, IP, ...)")->required();
  auto* policy = cmd->add_option("--policy", a->policy, "A policy of the node's policy file");
  auto* limit = cmd->add_option("--limit", a->limit, "Inline limit: admissions per window");
  cmd->add_option("--window", a->window, "Inline limit: window, e.g. 1s, 500ms, 1m, 1h, 1d");
  cmd->add_option("--algorithm", a->algorithm, "Inline limit: algorithm")->capture_default_str();
  cmd->add_option("--burst", a->burst, "Inline limit: burst (token bucket capacity)");
  cmd->add_option("--cost", a->cost, "Units to spend (0 peeks)")->capture_default_str();
  cmd->add_flag("--reset", a->reset, "Forget the key's state first");
  cmd->add_flag("--refund", a->refund, "Give COST back instead of spending it");
  cmd->add_flag("--drain-on-deny", a->drain, "On denial, spend whatever remains");
  cmd->add_flag("--shadow", a->shadow, "Dry run: always allowed, reports what would happen");
  cmd->add_flag("--json", a->json, "Print one JSON object");
  policy->excludes(limit);
  return [a, limit] {
    CheckSpec spec;
    spec.key = a->key;
    spec.cost = a->cost;
    spec.reset = a->reset;
    spec.refund = a->refund;
    spec.drain_on_deny = a->drain;
    spec.shadow = a->shadow;
    if (!a->policy.empty()) {
      spec.policy = a->policy;
    } else if (limit->count() > 0 || !a->window.empty()) {
      InlineLimit l;
      l.limit = a->limit;
      l.burst = a->burst;
      if (limit->count() == 0) {
        std::fprintf(stderr, "drl check: --window needs --limit (for example --limit 10)\n");
        return 2;
      }
      if (a->limit == 0) {
        std::fprintf(stderr, "drl check: --limit must be at least 1\n");
        return 2;
      }
      if (a->window.empty()) {
        std::fprintf(stderr, "drl check: --limit needs --window (for example --window 1s)\n");
        return 2;
      }
      if (auto err = parse_window(a->window, l.window); !err.empty()) {
        std::fprintf(stderr, "drl check: --window: %s\n", err.c_str());
        return 2;
      }
      if (!parse_algorithm_arg(a->algorithm, l.algorithm)) {
        std::fprintf(stderr,
                     "drl check: unknown --algorithm '%s' (token_bucket, leaky_bucket, "
                     "fixed_window, sliding_log, sliding_window)\n",
                     a->algorithm.c_str());
        return 2;
      }
      spec.limit = l;
    } else {
      std::fprintf(stderr,
                   "drl check: give --policy NAME or --limit N --window DUR (see --help)\n");
      return 2;
    }
    ClientOptions options{.nodes = {a->server}};
    options.tls = client_tls_from(a->tls);
    if (!read_token_file_arg(a->token_file, "drl check", options.auth_token)) return 2;
    Client client(options);
    const CheckResult r = client.check(spec);
    // MEMORY_FULL is decided (by the policy's degrade mode): allowed or denied, not an error.
    const bool ok = r.code == ResultCode::kOk || r.code == ResultCode::kMemoryFull;
    const std::string memory = r.code == ResultCode::kMemoryFull ? " (" + r.message + ")"
                               : r.reset_by_eviction
                                   ? " (reset: the key had been evicted for memory)"
                                   : "";
    if (a->json) {
      std::printf(
          "{\"allowed\":%s,\"code\":\"%s\",\"limit\":%llu,\"remaining\":%llu,"
          "\"reset_at_ms\":%lld,\"retry_after_ms\":%lld,\"delay_ms\":%lld,\"message\":%s,"
          "\"shadow_denied\":%s,\"degraded\":%s,\"reset_by_eviction\":%s,\"decided_by\":%s}\n",
          r.allowed ? "true" : "false", result_code_name(r.code),
          static_cast<unsigned long long>(r.limit), static_cast<unsigned long long>(r.remaining),
          static_cast<long long>(r.reset_at_ms), static_cast<long long>(r.retry_after_ms),
          static_cast<long long>(r.delay_ms), json_string(r.message).c_str(),
          r.shadow_denied ? "true" : "false", r.degraded ? "true" : "false",
          r.reset_by_eviction ? "true" : "false", json_string(r.decided_by).c_str());
    } else if (!ok) {
      std::fprintf(stderr, "error (%s): %s\n", result_code_name(r.code), r.message.c_str());
    } else if (r.allowed) {
      const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      // A leaky bucket shapes: the request is admitted, to be served after its delay.
      const std::string delay =
          r.delay_ms > 0 ? "; serve it in " + std::to_string(r.delay_ms) + " ms (delay)" : "";
      std::printf("allowed: %llu of %llu remaining; full again in %.1f s%s%s%s%s\n",
                  static_cast<unsigned long long>(r.remaining),
                  static_cast<unsigned long long>(r.limit),
                  std::max<int64_t>(0, r.reset_at_ms - now_ms) / 1000.0, delay.c_str(),
                  r.shadow_denied ? " (shadow: would have been denied)" : "",
                  r.degraded ? " (degraded: decided without the key's owner)" : "", memory.c_str());
    } else if (r.code == ResultCode::kMemoryFull) {
      std::printf("denied%s\n", memory.c_str());
    } else {
      std::printf("denied: %s%s\n", r.message.c_str(), memory.c_str());
    }
    if (!ok) return 2;
    return r.allowed ? 0 : 1;
  };
}

}  // namespace drl::cli
