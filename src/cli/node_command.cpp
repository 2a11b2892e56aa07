// `drl node`: runs one daemon in the foreground.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/default_address.h"
#include "cli/node_address.h"
#include "cli/storage_args.h"
#include "common/host_port.h"
#include "node/event_log.h"
#include "node/key_ring_file.h"
#include "node/node.h"
#include "node/seed.h"

namespace drl::cli {

Handler register_node(CLI::App& app) {
  auto* cmd = app.add_subcommand("node", "Run a drl node in the foreground (Ctrl-C stops it).");
  cmd->footer(
      "Examples:\n"
      "  drl node --listen 127.0.0.1:7000\n"
      "  drl node --listen 127.0.0.1:7000 --id n1 --policies docs/policies.example.yaml \\\n"
      "           --metrics 127.0.0.1:9100 --max-memory 256M\n"
      "  drl node --listen 127.0.0.1:7000 --http 127.0.0.1:8080\n"
      "  (then: curl -d "
      "'{\"checks\":[{\"key\":\"user:42\",\"limit\":{\"limit\":10,\"window_ms\":1000}}]}'\n"
      "   127.0.0.1:8080/v1/check)\n"
      "  drl node --listen 127.0.0.1:7001 --join 127.0.0.1:7000 --cluster-key-file key\n"
      "  (key: one file for the whole cluster, e.g. head -c 32 /dev/urandom > key)\n"
      "  drl node --listen 0.0.0.0:7000 --advertise 127.0.0.2:7000 --id n2 \\\n"
      "           --join dns+localhost:7000\n"
      "  (on a host or pod: --advertise its own address; --join dns+NAME:PORT joins every\n"
      "  address NAME resolves to, e.g. a headless Service)\n"
      "Then: drl check --server 127.0.0.1:7000 user:42 --limit 10 --window 1s\n"
      "Signals: SIGINT/SIGTERM stop cleanly; SIGHUP reloads --client-tokens-file,\n"
      "--cluster-key-file, the --tls-* files and --policies: a policy file changed since it was "
      "read is pushed to the "
      "whole\n"
      "cluster as its next policy set, as `drl policy push FILE` would (a bad file is\n"
      "refused and the set in force stays). The --policies file is what the node starts\n"
      "with (version 0); the cluster's pushed set replaces it, and with --data-dir a\n"
      "restarted node serves the set it saved until a peer offers a newer one. On start\n"
      "the node prints 'listening on HOST:PORT' on stdout (useful with --listen\n"
      "127.0.0.1:0).");
  struct Args {
    std::string listen = kDefaultAddress;
    std::string id, policies, metrics, log_format = "text", log_level = "info", port_file,
                                       advertise, cluster_key_file, resp, resp_port_file;
    std::vector<std::string> join;
    std::string grpc, grpc_port_file, rls_config, http, http_port_file;
    size_t http_threads = 8;
    bool rls_response_headers = false;
    bool rls_charge_each = false;
    size_t threads = 0, max_memory = 0, max_connections = 16384, replicas = 3;
    uint64_t failover_timeout_ms = 200, first_view_wait_ms = 500, peer_rto_min_ms = 10;
    uint64_t hedge_window_ms = 1000;
    uint32_t max_frame = 1u << 20;
    uint64_t idle_timeout_ms = 300'000;
    uint64_t frame_timeout_ms = 5'000;
    std::string client_tokens_file;
    std::string tls_cert, tls_key, tls_ca;
    bool tls_client_auth = false;
    std::string on_memory_full = "refuse";
    uint64_t default_timeout_ms = 1000, queue_target_ms = 5, test_decide_delay_us = 0;
    uint32_t max_in_flight = 4096;
    bool enable_test_hooks = false;
    StorageArgs storage;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--listen", a->listen,
                  "HOST:PORT to bind for client TCP, peer TCP and gossip UDP; port 0 picks one. "
                  "0.0.0.0 or :: (every address) needs --advertise")
      ->capture_default_str();
  cmd->add_option("--advertise", a->advertise,
                  "HOST:PORT peers and clients are told to reach this node at (members, ring, "
                  "status, the id by default): its own address, e.g. the pod IP; the port is "
                  "the --listen port (default: the bound --listen address)");
  cmd->add_option("--id", a->id, "Node id (default: the advertised HOST:PORT)");
  cmd->add_option("--policies", a->policies,
                  "Policy file (YAML) the node starts with; SIGHUP pushes it to the cluster "
                  "if it changed");
  cmd->add_option("--metrics", a->metrics,
                  "HOST:PORT serving Prometheus text at /metrics, and /healthz and /readyz");
  cmd->add_option("--threads", a->threads, "I/O threads (0 = one per core)")->capture_default_str();
  cmd->add_option("--max-memory", a->max_memory,
                  "Store memory budget in bytes, or with a suffix: 512K, 256M, 1G (powers of "
                  "1024; 0 = unbounded)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  cmd->add_option("--on-memory-full", a->on_memory_full,
                  "At --max-memory: 'refuse' keeps every live key and answers a new key "
                  "MEMORY_FULL, decided by its policy's degrade mode; 'evict' evicts live keys "
                  "and flags their next decision reset_by_eviction. A policy's on_memory_full "
                  "overrides it")
      ->check(CLI::IsMember({"refuse", "evict"}))
      ->capture_default_str();
  cmd->add_option("--max-connections", a->max_connections, "Client connections accepted at most")
      ->capture_default_str();
  // At most 1 GiB: a client frame's length word must never read as the DRLG/DRLP magic words
  // that mark gossip and peer traffic on the same port (0x44524C47, about 1.15 GB).
  cmd->add_option("--max-frame", a->max_frame, "Largest frame payload accepted, bytes (1..1 GiB)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1u << 30));
  cmd->add_option("--idle-timeout-ms", a->idle_timeout_ms,
                  "Close a client connection silent this long (0 = never)")
      ->capture_default_str();
  cmd->add_option("--frame-timeout-ms", a->frame_timeout_ms,
                  "Close a client connection whose frame (or RESP command) is begun but not "
                  "complete this long after its first byte (0 = never)")
      ->capture_default_str();
  cmd->add_option("--client-tokens-file", a->client_tokens_file,
                  "Require a client token: FILE holds one 'TOKEN' or 'NAME TOKEN' per line "
                  "(# comments); reloaded on SIGHUP");
  cmd->add_option("--default-timeout-ms", a->default_timeout_ms,
                  "Deadline of a request that sets no timeout_ms; undecided past it = OVERLOADED")
      ->capture_default_str();
  cmd->add_option("--queue-target-ms", a->queue_target_ms,
                  "Queueing delay that marks an overload (CoDel target); while overloaded, "
                  "requests that queued over half of it are shed")
      ->capture_default_str();
  cmd->add_option("--max-in-flight", a->max_in_flight,
                  "Requests being decided at once, at most; more are shed")
      ->capture_default_str();
  cmd->add_flag("--enable-test-hooks", a->enable_test_hooks,
                "Allow --test-* options and test-only admin requests (peer faults, sent by "
                "`drl test-fault`); never in production");
  cmd->add_option("--test-decide-delay-us", a->test_decide_delay_us,
                  "Test hook: busy-wait this long per decided request");
  cmd->add_option("--log-format", a->log_format, "Log format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--log-level", a->log_level,
                  "Least severe level logged: debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  cmd->add_option("--port-file", a->port_file, "Write the bound port to this file once listening");
  cmd->add_option("--resp", a->resp,
                  "HOST:PORT also serving the Redis protocol (CL.THROTTLE, DRL.CHECK, PING, INFO)");
  cmd->add_option("--resp-port-file", a->resp_port_file, "Write the bound RESP port to this file");
  cmd->add_option("--http", a->http,
                  "HOST:PORT also serving the HTTP/JSON API: POST /v1/check, and /metrics, "
                  "/healthz, /readyz (docs/protocol.md)");
  cmd->add_option("--http-port-file", a->http_port_file, "Write the bound HTTP port to this file");
  cmd->add_option("--http-threads", a->http_threads,
                  "HTTP workers; each open HTTP connection holds one (1..1024)")
      ->check(CLI::Range(size_t{1}, size_t{1024}))
      ->capture_default_str();
  cmd->add_option("--grpc", a->grpc,
                  "HOST:PORT also serving Envoy's rate limit service (gRPC, "
                  "envoy.service.ratelimit.v3) and gRPC health (docs/envoy.md)");
  cmd->add_option("--grpc-port-file", a->grpc_port_file, "Write the bound gRPC port to this file");
  cmd->add_option("--rls-config", a->rls_config,
                  "envoyproxy/ratelimit configuration for --grpc: a YAML file or a directory of "
                  "them; the node's own until a policy set with one is pushed (drl policy push "
                  "--rls); SIGHUP of a changed one pushes it to the cluster");
  cmd->add_flag("--rls-response-headers", a->rls_response_headers,
                "Add RateLimit-Limit/-Remaining/-Reset to RLS responses (envoyproxy/ratelimit's "
                "LIMIT_RESPONSE_HEADERS_ENABLED)");
  cmd->add_flag("--rls-charge-each", a->rls_charge_each,
                "Charge every descriptor of an RLS request that is under its limit even when "
                "another one is over (envoyproxy/ratelimit's way); default: all or nothing");
  cmd->add_option("--join", a->join,
                  "Seeds to join, HOST:PORT or dns+NAME:PORT (every A/AAAA record of NAME, "
                  "resolved again until every seed address is a member), comma-separated or "
                  "repeated (none: a one-node cluster)")
      ->delimiter(',');
  cmd->add_option("--cluster-key-file", a->cluster_key_file,
                  "Key ring encrypting and authenticating gossip and peer traffic: one key per "
                  "line as 64 hex digits (`openssl rand -hex 32`), the first sends, all are "
                  "accepted; re-read on SIGHUP, to rotate keys (docs/operations.md)");
  cmd->add_option("--tls-cert", a->tls_cert,
                  "TLS: this node's certificate chain (PEM). Turns TLS on for the client port, "
                  "--resp, --http, --grpc and the links between nodes (mutual: every node "
                  "presents its certificate and verifies the other's against --tls-ca); "
                  "re-read on SIGHUP (docs/operations.md, TLS)");
  cmd->add_option("--tls-key", a->tls_key, "TLS: the private key (PEM) of --tls-cert");
  cmd->add_option("--tls-ca", a->tls_ca,
                  "TLS: the CA bundle (PEM) that signs the cluster's node certificates (and "
                  "client certificates); required with --tls-cert");
  cmd->add_flag("--tls-client-auth", a->tls_client_auth,
                "TLS: refuse clients that present no certificate signed by --tls-ca (mutual "
                "TLS from clients; nodes always present theirs)");
  cmd->add_option("--replicas", a->replicas, "Nodes holding each key, owner included")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  cmd->add_option("--failover-timeout-ms", a->failover_timeout_ms,
                  "Retry timeout (tau): a forwarded check unanswered this long is sent again "
                  "to its key's owner (alternately through another member and directly, "
                  "backing off to 8 x tau) until its deadline; it never moves to a replica "
                  "while the owner is a member. Shorter recovers sooner from a lost segment, "
                  "at the cost of more retries (answered from memory, not decided twice)")
      ->check(CLI::Range(1, 60'000))
      ->capture_default_str();
  cmd->add_option("--peer-rto-min-ms", a->peer_rto_min_ms,
                  "TCP's minimum retransmission timeout (and longest delayed ACK) on connections "
                  "between nodes: a segment lost on a peer link stalls it about this long "
                  "instead of the kernel's 200 ms. Needs Linux 6.15+ (TCP_RTO_MIN_US; older "
                  "kernels: a warning, and `ip route ... rto_min` does the same). 0 = the "
                  "kernel's")
      ->check(CLI::Range(0, 200))
      ->capture_default_str();
  cmd->add_option("--hedge-window-ms", a->hedge_window_ms,
                  "After TCP retransmitted a segment on the link to a peer, checks forwarded to "
                  "that peer also leave through another member at once, for this long: "
                  "whichever copy arrives first is decided, the other is answered from memory. "
                  "More peer traffic on lossy links only, for a shorter wait. 0 = never")
      ->check(CLI::Range(0, 60'000))
      ->capture_default_str();
  cmd->add_option("--first-view-wait-ms", a->first_view_wait_ms,
                  "A joining node holds its clients' checks this long for its first cluster "
                  "view, then decides them by their degrade mode")
      ->check(CLI::Range(0, 60'000))
      ->capture_default_str();
  add_storage_options(cmd, a->storage);
  return [a] {
    if (auto err = node::configure_logging(a->log_format, a->log_level); !err.empty()) {
      std::fprintf(stderr, "drl node: %s\n", err.c_str());
      return 2;
    }
    if (a->test_decide_delay_us > 0 && !a->enable_test_hooks) {
      std::fprintf(stderr,
                   "drl node: --test-decide-delay-us slows the node on purpose; it is "
                   "refused unless --enable-test-hooks is given\n");
      return 2;
    }
    if (a->default_timeout_ms == 0 || a->queue_target_ms == 0 || a->max_in_flight == 0) {
      std::fprintf(stderr,
                   "drl node: --default-timeout-ms, --queue-target-ms and --max-in-flight "
                   "must be >= 1\n");
      return 2;
    }
    node::NodeOptions o;
    auto seeds = node::parse_seeds(a->join);
    if (!seeds) {
      std::fprintf(stderr, "drl node: --join: %s\n", seeds.status().message().c_str());
      return 2;
    }
    for (const auto& seed : *seeds) o.seeds.push_back(seed.text);
    if (!a->cluster_key_file.empty()) {
      auto ring = node::read_key_ring_file(a->cluster_key_file);
      if (!ring) {
        std::fprintf(stderr, "drl node: --cluster-key-file %s\n", ring.status().message().c_str());
        return 2;
      }
      o.key_ring = std::move(*ring);
      o.cluster_key_file = a->cluster_key_file;
    }
    o.tls.cert = a->tls_cert;
    o.tls.key = a->tls_key;
    o.tls.ca = a->tls_ca;
    o.tls.require_client_cert = a->tls_client_auth;
    if (o.tls.enabled() && (a->tls_cert.empty() || a->tls_key.empty() || a->tls_ca.empty())) {
      std::fprintf(stderr,
                   "drl node: TLS needs --tls-cert, --tls-key and --tls-ca together (the CA "
                   "that signs every node's certificate: nodes verify each other with it)\n");
      return 2;
    }
    if (!o.tls.enabled() && (!a->tls_ca.empty() || a->tls_client_auth)) {
      std::fprintf(stderr,
                   "drl node: --tls-ca and --tls-client-auth need --tls-cert and --tls-key\n");
      return 2;
    }
    o.replicas = a->replicas;
    o.failover_timeout = std::chrono::milliseconds(a->failover_timeout_ms);
    o.peer_rto_min = std::chrono::milliseconds(a->peer_rto_min_ms);
    o.first_view_wait = std::chrono::milliseconds(a->first_view_wait_ms);
    o.hedge_window = std::chrono::milliseconds(a->hedge_window_ms);
    auto listen = parse_host_port(a->listen, PortZero::kAllowed);
    if (!listen) {
      std::fprintf(stderr, "drl node: --listen: %s\n", listen.status().message().c_str());
      return 2;
    }
    o.host = listen->host;
    o.port = listen->port;
    auto named = node_address(*listen, a->advertise);
    if (!named) {
      std::fprintf(stderr, "drl node: %s\n", named.status().message().c_str());
      return 2;
    }
    if (!a->advertise.empty()) o.advertise_host = named->host;
    if (auto err = storage_options_from(a->storage, !a->id.empty() || listen->port != 0, o.storage);
        !err.empty()) {
      std::fprintf(stderr, "drl node: %s\n", err.c_str());
      return 2;
    }
    if (!a->metrics.empty()) {
      auto m = parse_host_port(a->metrics, PortZero::kAllowed);
      if (!m) {
        std::fprintf(stderr, "drl node: --metrics: %s\n", m.status().message().c_str());
        return 2;
      }
      o.metrics_host = m->host;
      o.metrics_port = m->port;
    }
    if (!a->resp.empty()) {
      auto r = parse_host_port(a->resp, PortZero::kAllowed);
      if (!r) {
        std::fprintf(stderr, "drl node: --resp: %s\n", r.status().message().c_str());
        return 2;
      }
      o.resp_host = r->host;
      o.resp_port = r->port;
    }
    o.resp_port_file = a->resp_port_file;
    if (!a->grpc.empty()) {
      auto g = parse_host_port(a->grpc, PortZero::kAllowed);
      if (!g) {
        std::fprintf(stderr, "drl node: --grpc: %s\n", g.status().message().c_str());
        return 2;
      }
      o.grpc_host = g->host;
      o.grpc_port = g->port;
    } else if (!a->rls_config.empty()) {
      std::fprintf(stderr, "drl node: --rls-config needs --grpc HOST:PORT\n");
      return 2;
    }
    o.grpc_port_file = a->grpc_port_file;
    if (!a->http.empty()) {
      auto h = parse_host_port(a->http, PortZero::kAllowed);
      if (!h) {
        std::fprintf(stderr, "drl node: --http: %s\n", h.status().message().c_str());
        return 2;
      }
      o.http_host = h->host;
      o.http_port = h->port;
    }
    o.http_port_file = a->http_port_file;
    o.http_threads = a->http_threads;
    o.rls_config_path = a->rls_config;
    o.rls_response_headers = a->rls_response_headers;
    o.rls_all_or_nothing = !a->rls_charge_each;
    o.id = a->id;
    o.policies_path = a->policies;
    o.threads = a->threads;
    o.max_memory_bytes = a->max_memory;
    limits::parse_memory_full_mode(a->on_memory_full, o.on_memory_full);
    o.max_connections = a->max_connections;
    o.max_frame_bytes = a->max_frame;
    o.idle_timeout = std::chrono::milliseconds(a->idle_timeout_ms);
    o.frame_timeout = std::chrono::milliseconds(a->frame_timeout_ms);
    o.client_tokens_path = a->client_tokens_file;
    o.port_file = a->port_file;
    o.overload.default_timeout = std::chrono::milliseconds(a->default_timeout_ms);
    o.overload.admission.target_delay = static_cast<Nanos>(a->queue_target_ms) * kMillisecond;
    o.overload.admission.max_in_flight = a->max_in_flight;
    o.overload.test_decide_delay = std::chrono::microseconds(a->test_decide_delay_us);
    o.enable_test_hooks = a->enable_test_hooks;
    node::Node n(o);
    return n.run();
  };
}

}  // namespace drl::cli
