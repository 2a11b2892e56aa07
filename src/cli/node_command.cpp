// `drl node`: runs one daemon in the foreground.
#include <cstdio>
#include <memory>

#include "cli/address_arg.h"
#include "cli/commands.h"
#include "node/node.h"

namespace drl::cli {

Handler register_node(CLI::App& app) {
  auto* cmd = app.add_subcommand("node", "Run a drl node in the foreground (Ctrl-C stops it).");
  cmd->footer(
      "Examples:\n"
      "  drl node --listen 127.0.0.1:7000\n"
      "  drl node --listen 0.0.0.0:7000 --id n1 --policies policies.yaml \\\n"
      "           --metrics 127.0.0.1:9100 --max-memory 268435456\n"
      "Then: drl check --server 127.0.0.1:7000 user:42 --limit 10 --window 1s\n"
      "Signals: SIGINT/SIGTERM stop cleanly; SIGHUP reloads --policies (a bad file is\n"
      "refused and the old policies stay). On start the node prints\n"
      "'listening on HOST:PORT' on stdout (useful with --listen 127.0.0.1:0).");
  struct Args {
    std::string listen = "127.0.0.1:7000";
    std::string id, policies, metrics, log_format = "text", port_file, join;
    size_t threads = 0, max_memory = 0, max_connections = 16384;
    uint32_t max_frame = 1u << 20;
    uint64_t idle_timeout_ms = 300'000;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--listen", a->listen,
                  "HOST:PORT for client TCP (and later peer TCP + gossip UDP); port 0 picks one")
      ->capture_default_str();
  cmd->add_option("--id", a->id, "Node id (default: the bound HOST:PORT)");
  cmd->add_option("--policies", a->policies, "Policy file (YAML), reloaded on SIGHUP");
  cmd->add_option("--metrics", a->metrics, "HOST:PORT serving Prometheus text at /metrics");
  cmd->add_option("--threads", a->threads, "I/O threads (0 = one per core)")->capture_default_str();
  cmd->add_option("--max-memory", a->max_memory, "Store memory budget in bytes (0 = unbounded)")
      ->capture_default_str();
  cmd->add_option("--max-connections", a->max_connections, "Client connections accepted at most")
      ->capture_default_str();
  cmd->add_option("--max-frame", a->max_frame, "Largest frame payload accepted, bytes")
      ->capture_default_str();
  cmd->add_option("--idle-timeout-ms", a->idle_timeout_ms,
                  "Close a client connection silent this long (0 = never)")
      ->capture_default_str();
  cmd->add_option("--log-format", a->log_format, "Log format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--port-file", a->port_file, "Write the bound port to this file once listening");
  cmd->add_option("--join", a->join, "Seed nodes to join (not yet available: single node only)");
  return [a] {
    if (!node::configure_logging(a->log_format)) {
      std::fprintf(stderr, "drl node: unknown --log-format '%s'\n", a->log_format.c_str());
      return 2;
    }
    if (!a->join.empty()) {
      std::fprintf(stderr, "drl node: --join is not available yet; this node runs alone\n");
      return 2;
    }
    node::NodeOptions o;
    HostPort listen;
    if (auto err = parse_host_port(a->listen, listen); !err.empty()) {
      std::fprintf(stderr, "drl node: --listen: %s\n", err.c_str());
      return 2;
    }
    o.host = listen.host;
    o.port = listen.port;
    if (!a->metrics.empty()) {
      HostPort m;
      if (auto err = parse_host_port(a->metrics, m); !err.empty()) {
        std::fprintf(stderr, "drl node: --metrics: %s\n", err.c_str());
        return 2;
      }
      o.metrics_host = m.host;
      o.metrics_port = m.port;
    }
    o.id = a->id;
    o.policies_path = a->policies;
    o.threads = a->threads;
    o.max_memory_bytes = a->max_memory;
    o.max_connections = a->max_connections;
    o.max_frame_bytes = a->max_frame;
    o.idle_timeout = std::chrono::milliseconds(a->idle_timeout_ms);
    o.port_file = a->port_file;
    node::Node n(o);
    return n.run();
  };
}

}  // namespace drl::cli
