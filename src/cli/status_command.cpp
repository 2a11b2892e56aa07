// `drl status`: what a node knows about itself.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/limit_args.h"
#include "drl/client.h"

namespace drl::cli {

Handler register_status(CLI::App& app) {
  auto* cmd = app.add_subcommand("status", "Show a node's id, version, uptime, keys and memory.");
  cmd->footer(
      "Examples:\n"
      "  drl status --server 127.0.0.1:7000\n"
      "  drl status --server 127.0.0.1:7000 --json\n"
      "Exit code: 0 when the node answered, 2 otherwise.");
  struct Args {
    std::string server = "127.0.0.1:7000";
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--server", a->server, "Node to ask, HOST:PORT")->capture_default_str();
  cmd->add_flag("--json", a->json, "Print one JSON object");
  return [a] {
    Client client(ClientOptions{.nodes = {a->server}});
    NodeStatus s;
    std::string error;
    if (!client.status(s, error)) {
      std::fprintf(stderr, "drl status: %s\n", error.c_str());
      return 2;
    }
    auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
    if (a->json) {
      std::string policies = "[";
      for (size_t i = 0; i < s.policies.size(); ++i) {
        policies += (i ? "," : "") + json_string(s.policies[i]);
      }
      policies += "]";
      std::printf(
          "{\"node_id\":%s,\"version\":%s,\"listen\":%s,\"uptime_ms\":%lld,\"keys\":%llu,"
          "\"memory_bytes\":%llu,\"max_memory_bytes\":%llu,\"evicted\":%llu,\"expired\":%llu,"
          "\"connections\":%llu,\"checks\":%llu,\"policies\":%s}\n",
          json_string(s.node_id).c_str(), json_string(s.version).c_str(),
          json_string(s.listen).c_str(), static_cast<long long>(s.uptime_ms), u(s.keys),
          u(s.memory_bytes), u(s.max_memory_bytes), u(s.evicted), u(s.expired), u(s.connections),
          u(s.checks), policies.c_str());
      return 0;
    }
    std::printf("node        %s (drl %s) on %s\n", s.node_id.c_str(), s.version.c_str(),
                s.listen.c_str());
    std::printf("uptime      %.1f s\n", s.uptime_ms / 1000.0);
    std::printf("keys        %llu\n", u(s.keys));
    std::printf("memory      %llu bytes (budget %s)\n", u(s.memory_bytes),
                s.max_memory_bytes ? std::to_string(s.max_memory_bytes).c_str() : "unbounded");
    std::printf("evicted     %llu   expired %llu\n", u(s.evicted), u(s.expired));
    std::printf("connections %llu   checks %llu\n", u(s.connections), u(s.checks));
    std::string p;
    for (const auto& n : s.policies) p += " " + n;
    std::printf("policies   %s\n", p.empty() ? " (none)" : p.c_str());
    return 0;
  };
}

}  // namespace drl::cli
