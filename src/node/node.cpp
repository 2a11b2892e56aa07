#include "node/node.h"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <fstream>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "cluster/view_publisher.h"
#include "common/clock.h"
#include "common/hex.h"
#include "doors/http_server.h"
#include "net/cluster_decider.h"
#include "net/gossip_transport.h"
#include "net/io_pool.h"
#include "net/listener.h"
#include "net/peer_server.h"
#include "net/peer_socket.h"
#include "net/resp_listener.h"
#include "node/cluster_policies.h"
#include "node/event_log.h"
#include "node/key_ring_file.h"
#include "node/membership_log.h"
#include "node/process_metrics.h"
#include "node/rls_door.h"
#include "node/seed_watch.h"
#include "node/storage/storage.h"
#include "service/admission_gate.h"
#include "service/client_auth.h"
#include "service/cluster_metrics.h"
#include "service/cluster_watch.h"
#include "service/fault_admin.h"
#include "service/frame.h"
#include "service/http_routes.h"
#include "service/local_decider.h"
#include "service/memory_watch.h"
#include "service/prometheus_text.h"
#include "service/published_ring.h"
#include "service/solo_decider.h"
#include "store/backend.h"
#include "store/store.h"

namespace drl::node {
namespace {

constexpr auto kExpireEvery = std::chrono::milliseconds(50);
constexpr size_t kExpireBudget = 20000;
// A joining node decides nothing as owner until it sees another member (so a restarted node
// never hands out a fresh budget); after this long alone it serves as a cluster of one.
constexpr auto kJoinWait = std::chrono::seconds(5);
// Time given to the leave announcement before the process exits.
constexpr auto kLeaveGrace = std::chrono::milliseconds(300);
// How often the node samples its ring, hand-off and overload state for the log (ClusterWatch).
constexpr auto kWatchEvery = std::chrono::seconds(1);

std::shared_ptr<membership::Sealer> make_sealer(const std::optional<membership::KeyRing>& ring) {
  if (!ring) return nullptr;
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  membership::Sealer::NoncePrefix prefix;
  randombytes_buf(prefix.data(), prefix.size());
  return std::make_shared<membership::Sealer>(*ring, prefix);
}

// Idle client connections each hold a descriptor; allow as many as the hard limit permits.
void raise_descriptor_limit(size_t max_connections) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  const auto before = rl.rlim_cur;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) rl.rlim_cur = before;
  }
  spdlog::info("open files limit: {} (was {}, hard limit {})", rl.rlim_cur, before, rl.rlim_max);
  // Peers, gossip, the metrics page and the log need descriptors too.
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < max_connections + 64) {
    spdlog::warn(
        "--max-connections {} needs about {} open files but the limit is {}: connections past "
        "it are refused by the kernel before drl sees them (raise `ulimit -n`)",
        max_connections, max_connections + 64, rl.rlim_cur);
  }
}

// The backend named by options.storage.kind (run() refuses an unknown name before using it).
std::unique_ptr<Storage> make_storage(const NodeOptions& o) {
  StorageOptions so = o.storage;
  so.max_memory_bytes = o.max_memory_bytes;
  so.on_memory_full = o.on_memory_full;
  const std::string& host = o.advertise_host.empty() ? o.host : o.advertise_host;
  if (so.node_id.empty()) so.node_id = o.id.empty() ? host + ":" + std::to_string(o.port) : o.id;
  const StorageFactory make = find_storage(so.kind);
  return make != nullptr ? make(so) : make_memory_storage(so);
}

}  // namespace

struct Node::Impl {
  explicit Impl(NodeOptions o)
      : options(std::move(o)),
        policies(metrics),
        storage(make_storage(options)),
        store(storage->backend()),
        decider(store, policies, clock, metrics),
        pool(options.threads == 0 ? std::max(1u, std::thread::hardware_concurrency())
                                  : options.threads),
        stats(pool.size()),
        signals(control, SIGINT, SIGTERM, SIGHUP),
        expire_timer(control),
        join_timer(control) {}

  int run();
  void wait_signal();
  void expire_tick();
  void reload_client_tokens();
  void reload_key_ring();
  void reload_tls();
  void log_client_tokens(std::string_view what);
  void fill_status(wire::StatusResponse& s);
  std::string start_cluster(uint16_t port);
  // Hands a changed view (from `views`) to the ring the doors read and to the cluster.
  void install_view(std::optional<cluster::PublishedView> view);
  void watch_tick();
  uint64_t decisions_counted() const;  // allowed + denied in `metrics`
  // Checks decided here. While solo every decision is local (counted in `metrics` where it
  // is made); after, the cluster counts what this node decided, for its clients or forwarded
  // to it (`c`: its snapshot; null when it did not answer).
  uint64_t decided_here(const net::ClusterSnapshot* c) const;
  std::string render_metrics();
  std::string not_ready();  // "" when ready (/readyz); control thread
  // The metrics and health routes for an HTTP server's threads: they run on the control thread.
  service::HttpRoutes http_routes();
  std::string start_http(std::optional<doors::HttpServer>& server, const std::string& host,
                         uint16_t port, bool check);

  NodeOptions options;
  SystemClock clock;
  service::DecisionMetrics metrics;
  service::PolicyBook policies;
  service::AdmissionGate gate{options.overload, policies};
  std::unique_ptr<Storage> storage;  // loaded by run() before anything decides
  store::Backend& store;
  service::LocalDecider decider;
  service::ClientAuth client_auth;
  // Seals gossip and peer traffic under --cluster-key-file's ring (null: plain); the nonce
  // prefix is random per process (membership/sealer.h).
  std::shared_ptr<membership::Sealer> sealer = make_sealer(options.key_ring);
  // The node's TLS contexts (--tls-*), shared by every door and the peer links; null: plain.
  std::shared_ptr<tls::NodeContexts> tls_contexts;
  net::IoPool pool;
  service::ServerStats stats;
  asio::io_context control{1};
  asio::signal_set signals;
  // On the control thread, not an I/O thread: a sweep call scans a sixteenth of the table
  // (milliseconds at 10 M keys), which no check should wait behind; it holds a shard's lock
  // for 512 slots at a time, so a check on that shard waits a microsecond or two at most.
  asio::steady_timer expire_timer;
  service::MemoryWatch memory_watch;  // control thread only: checked on every expire tick
  asio::steady_timer join_timer;
  service::PeerFaultFilter peer_faults;  // test hooks only; outlives the transports below
  std::optional<net::ClusterDecider> cluster;
  service::PublishedRing published_ring{static_cast<uint32_t>(options.replicas)};
  uint32_t vnodes = ring::kDefaultVnodes;  // the cluster's (ClusterOptions::vnodes)
  // Checks decided while the node was solo (LocalDecider), fixed when it left solo.
  std::atomic<uint64_t> decided_while_solo{0};
  std::optional<service::SoloDecider> solo;  // in front of `cluster`: local while never clustered
  std::optional<net::GossipTransport> gossip;
  std::optional<cluster::ViewPublisher> views;  // control thread only
  asio::steady_timer view_timer{control};
  asio::steady_timer watch_timer{control};
  service::ClusterWatch watch;          // control thread only
  std::optional<SeedWatch> seed_watch;  // control thread only
  std::optional<net::Listener> listener;
  std::optional<net::RespListener> resp_listener;
  std::optional<doors::HttpServer> metrics_server;  // --metrics
  std::optional<doors::HttpServer> http_door;       // --http
  std::optional<RlsDoor> rls_door;                  // --grpc
  std::string listen_address;                       // the bound socket's host:port
  std::string advertised_address;  // what names this node: --advertise, else listen_address
  Nanos started = 0;
  bool draining = false;                // control thread: a stop signal came, the node is leaving
  cluster::PolicyOffer start_policies;  // handed to the cluster when it starts
  uint64_t policy_file_hash = 0;        // control thread: the --policies file when last read
  uint64_t rls_file_hash = 0;           // control thread: the --rls-config document, likewise
  // --rls-config or the cluster's set's RLS document (node/cluster_policies.h); the Envoy
  // doors read it. Thread-safe.
  rls::RlsConfigBook rls_book;
  PolicySources policy_sources{options.policies_path, options.rls_config_path,
                               options.storage.data_dir};
};

Node::Node(NodeOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Node::~Node() = default;
int Node::run() { return impl_->run(); }

int Node::Impl::run() {
  started = clock.monotonic();
  raise_descriptor_limit(options.max_connections);
  if (auto err = load_start_policies(policy_sources, policies, rls_book, start_policies,
                                     policy_file_hash, rls_file_hash);
      !err.empty()) {
    spdlog::error("cannot load policies: {}", err);
    return 2;
  }
  if (!options.client_tokens_path.empty()) {
    if (auto err = client_auth.load(options.client_tokens_path); !err.empty()) {
      spdlog::error("cannot load client tokens from {}: {}", options.client_tokens_path, err);
      return 2;
    }
    log_client_tokens("loaded");
  }
  if (find_storage(options.storage.kind) == nullptr) {
    spdlog::error("unknown --storage {}", options.storage.kind);
    return 2;
  }
  if (auto err = storage->open(clock.now()); !err.empty()) {
    spdlog::error("cannot open the {} storage: {}", options.storage.kind, err);
    return 2;
  }
  if (options.tls.enabled()) {
    auto contexts = tls::NodeContexts::load(options.tls);
    if (!contexts) {
      spdlog::error("cannot start TLS: {}", contexts.status().message());
      return 2;
    }
    tls_contexts = std::move(*contexts);
    spdlog::info(
        "TLS on the client, RESP, HTTP and gRPC doors and the peer links (mutual): "
        "certificate {}, CA {}{}",
        options.tls.cert, options.tls.ca,
        options.tls.require_client_cert ? ", client certificates required" : "");
  }
  net::ListenerOptions lo;
  lo.tls = tls_contexts.get();
  lo.max_connections = options.max_connections;
  lo.session.max_frame_bytes = options.max_frame_bytes;
  lo.session.idle_timeout = options.idle_timeout;
  lo.session.frame_timeout = options.frame_timeout;
  lo.session.default_timeout = options.overload.default_timeout;
  net::SessionServices services;
  services.gate = &gate;
  const service::ClientAuth* auth = options.client_tokens_path.empty() ? nullptr : &client_auth;
  services.auth = auth;
  cluster::ClusterOptions co;
  co.replicas = options.replicas;
  co.failover_timeout = static_cast<Nanos>(options.failover_timeout.count()) * kMillisecond;
  co.first_view_wait = static_cast<Nanos>(options.first_view_wait.count()) * kMillisecond;
  co.hedge_window = static_cast<Nanos>(options.hedge_window.count()) * kMillisecond;
  co.sweep_store = false;  // expire_tick() sweeps it, once (the cluster thread would again)
  net::PeerLinkOptions po;
  po.sealer = sealer;
  po.source_host = options.host;  // peer traffic leaves from the listen address
  po.rto_min = options.peer_rto_min;
  po.tls = tls_contexts.get();
  if (po.rto_min.count() > 0 && !net::kernel_takes_rto_min()) {
    spdlog::warn(
        "--peer-rto-min-ms: this kernel has no TCP_RTO_MIN_US (Linux 6.15 and later): peer links "
        "keep the kernel's minimum retransmission timeout (200 ms unless a route sets rto_min)");
  }
  if (options.enable_test_hooks) {
    po.faults = &peer_faults;
    services.admin = [this](const wire::AdminRequest& request, wire::AdminResponse& response) {
      const auto members = gossip ? gossip->members() : std::vector<membership::Member>{};
      return service::apply_fault_request(request, members, peer_faults, response);
    };
  }
  vnodes = co.vnodes;
  services.ring = [this](uint64_t known, wire::RingResponse& r) { published_ring.fill(known, r); };
  services.ring_epoch = &published_ring.epoch();
  cluster.emplace(store, policies, clock, metrics, co, po);
  solo.emplace(decider, *cluster, options.seeds.empty());
  services.decider = &*solo;
  services.status = [this](wire::StatusResponse& s) { fill_status(s); };
  services.policy = [this](const wire::PolicyRequest& request, wire::PolicyResponse& response) {
    return answer_policy_request(*cluster, request, response);
  };
  services.clock = &clock;
  listener.emplace(pool, lo, services, stats);
  if (auto ec = listener->listen(options.host, options.port)) {
    spdlog::error("cannot listen on {}:{}: {}", options.host, options.port, ec.message());
    return 2;
  }
  const auto bound = listener->local_endpoint();
  listen_address = bound.address().to_string() + ":" + std::to_string(bound.port());
  advertised_address = options.advertise_host.empty()
                           ? listen_address
                           : options.advertise_host + ":" + std::to_string(bound.port());
  if (options.id.empty()) options.id = advertised_address;
  set_log_node(options.id);
  listener->set_node_id(options.id);
  if (auto err = start_cluster(bound.port()); !err.empty()) {
    spdlog::error("cannot start membership on port {}: {}", bound.port(), err);
    return 2;
  }
  std::string resp_address;
  if (!options.resp_host.empty()) {
    net::RespListenerOptions ro;
    ro.max_connections = options.max_connections;
    ro.tls = tls_contexts.get();
    ro.session.idle_timeout = options.idle_timeout;
    ro.session.frame_timeout = options.frame_timeout;
    ro.session.default_timeout = options.overload.default_timeout;
    net::RespServices rs{&*solo, services.status, &clock, options.id};
    rs.gate = &gate;
    resp_listener.emplace(pool, ro, std::move(rs), stats);
    resp_listener->set_auth(auth);
    if (auto ec = resp_listener->listen(options.resp_host, options.resp_port)) {
      spdlog::error("cannot listen for RESP on {}:{}: {}", options.resp_host, options.resp_port,
                    ec.message());
      return 2;
    }
    const auto r = resp_listener->local_endpoint();
    resp_address = r.address().to_string() + ":" + std::to_string(r.port());
    resp_listener->start();
  }
  std::string grpc_address;
  if (!options.grpc_host.empty()) {
    rls_door.emplace(options, *solo, &gate, clock, rls_book);
    if (auto err = rls_door->start(); !err.empty()) {
      spdlog::error("{}", err);
      return 2;
    }
    grpc_address = options.grpc_host + ":" + std::to_string(rls_door->port());
    if (views && views->published()) rls_door->joined();
  }
  if (!options.metrics_host.empty()) {
    if (auto err = start_http(metrics_server, options.metrics_host, options.metrics_port, false);
        !err.empty()) {
      spdlog::error("cannot serve metrics: {}", err);
      return 2;
    }
    spdlog::info("metrics on http://{}:{}/metrics", options.metrics_host, metrics_server->port());
  }
  std::string http_address;
  if (!options.http_host.empty()) {
    if (auto err = start_http(http_door, options.http_host, options.http_port, true);
        !err.empty()) {
      spdlog::error("cannot serve the HTTP door: {}", err);
      return 2;
    }
    http_address = options.http_host + ":" + std::to_string(http_door->port());
  }
  listener->start();
  pool.start();
  wait_signal();
  expire_tick();
  spdlog::info("node {} listening on {} (advertised as {}) with {} threads", options.id,
               listen_address, advertised_address, pool.size());
  // The line tests and scripts read: keep its shape.
  std::printf("listening on %s\n", listen_address.c_str());
  if (!resp_address.empty()) {
    std::printf("resp listening on %s\n", resp_address.c_str());
    // Before the main port file, which tests and scripts wait for.
    if (!options.resp_port_file.empty()) {
      std::ofstream(options.resp_port_file) << resp_listener->local_endpoint().port() << "\n";
    }
  }
  if (!grpc_address.empty()) {
    std::printf("grpc listening on %s\n", grpc_address.c_str());
    if (!options.grpc_port_file.empty()) {
      std::ofstream(options.grpc_port_file) << rls_door->port() << "\n";
    }
  }
  if (!http_address.empty()) {
    std::printf("http listening on %s\n", http_address.c_str());
    if (!options.http_port_file.empty()) {
      std::ofstream(options.http_port_file) << http_door->port() << "\n";
    }
  }
  std::fflush(stdout);
  if (!options.port_file.empty()) {
    std::ofstream(options.port_file) << bound.port() << "\n";
  }
  control.run();
  spdlog::info("stopping");
  if (gossip) gossip->stop();
  if (rls_door) rls_door->stop();  // its calls in flight need the deciders
  if (http_door) http_door->stop();
  if (metrics_server) metrics_server->stop();
  pool.stop();
  listener.reset();
  resp_listener.reset();
  cluster->stop();
  storage->close();
  spdlog::info("stopped");
  return 0;
}

void Node::Impl::wait_signal() {
  signals.async_wait([this](std::error_code ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      reload_client_tokens();
      reload_key_ring();
      reload_tls();
      if (!options.rls_config_path.empty()) {
        reload_rls_file(*cluster, options.rls_config_path, rls_file_hash);
      }
      if (options.policies_path.empty()) {
        spdlog::warn("SIGHUP: no --policies file to reload");
      } else {
        reload_policy_file(*cluster, options.policies_path, policy_file_hash);
      }
      wait_signal();
      return;
    }
    spdlog::info("signal {}: shutting down", signo);
    draining = true;
    if (rls_door) rls_door->drain();
    if (!gossip) return control.stop();
    gossip->leave();
    join_timer.expires_after(kLeaveGrace);
    join_timer.async_wait([this](std::error_code) { control.stop(); });
  });
}

std::string Node::Impl::start_cluster(uint16_t port) {
  listener->register_magic(service::kPeerMagic, [this](asio::ip::tcp::socket s) {
    cluster->accept_peer(std::move(s), net::PeerLane::kMain);
  });
  listener->register_magic(service::kPeerCheckLaneMagic, [this](asio::ip::tcp::socket s) {
    cluster->accept_peer(std::move(s), net::PeerLane::kChecks);
  });
  listener->register_magic(service::kGossipMagic, [this](asio::ip::tcp::socket s) {
    // Gossip runs on the control thread: move the connection there.
    auto moved = net::rehome_socket(std::move(s), control);
    if (!moved) return;
    asio::post(control, [this, sock = std::make_shared<asio::ip::tcp::socket>(std::move(*moved))] {
      gossip->accept_sync(std::move(*sock));
    });
  });
  membership::MemberInfo self{options.id, advertised_address, {}};
  self.meta.tags["client"] = advertised_address;
  net::GossipTransportOptions go;
  go.sealer = sealer;
  if (sealer) spdlog::info("cluster key ring: {}", describe_key_ring(*sealer->ring()));
  go.bind_host = options.host;  // gossip binds to, and sends from, the listen address
  if (options.enable_test_hooks) go.faults = &peer_faults;
  gossip.emplace(control, port, self, go);
  views.emplace(ring::Member{options.id, advertised_address}, !options.seeds.empty());
  gossip->set_listener([this](const membership::MembershipEvent& e) {
    log_membership_event(e);
    const auto settle = views->observe(e.member);
    if (!settle) return;
    view_timer.expires_after(std::chrono::nanoseconds(*settle));
    view_timer.async_wait([this](std::error_code ec) {
      if (!ec) install_view(views->settle_timer_fired());
    });
  });
  cluster::PolicySpreadOptions spread;
  spread.check_rls = check_rls_document;
  cluster->start(
      ring::Member{options.id, advertised_address}, std::move(start_policies),
      [this](const cluster::PolicyEvent& e) {
        apply_policy_event(e, policies, rls_book, policy_sources);
      },
      std::move(spread));
  std::vector<std::string> join;
  if (!options.seeds.empty()) {
    auto seeds = parse_seeds(options.seeds);
    if (!seeds) return "--join: " + seeds.status().message();
    seed_watch.emplace(
        control, std::move(*seeds), advertised_address, [this] { return views->live_addresses(); },
        [this](std::vector<std::string> found) { gossip->set_seeds(std::move(found)); });
    join = seed_watch->resolve_now();
  }
  if (auto err = gossip->start(std::move(join)); !err.empty()) return err;
  install_view(views->publish(false));
  if (!options.seeds.empty()) {
    join_timer.expires_after(kJoinWait);
    join_timer.async_wait([this](std::error_code ec) {
      if (ec) return;
      if (!views->joined()) {
        log_event(spdlog::level::warn, "join_timeout", {{"seconds", "5"}},
                  "no seed answered in 5 s; serving as a one-node cluster until one does "
                  "(gossip keeps trying the seeds)");
      }
      install_view(views->publish(true));
    });
    seed_watch->start();
  }
  watch_tick();
  return "";
}

void Node::Impl::watch_tick() {
  service::WatchSample sample;
  sample.at = clock.monotonic();
  net::ClusterSnapshot c;
  // Never long: the cluster thread answers within microseconds unless it is stuck, and the
  // control thread (gossip) must not wait behind it.
  if (views && views->published() &&
      cluster->snapshot(c, std::chrono::milliseconds(100), /*count_keys=*/false)) {
    sample.cluster_answered = true;
    sample.epoch = c.status.epoch;
    sample.members = c.status.members;
    sample.ring_share = c.status.ring_share;
    sample.handoff_pending = c.status.handoff_pending;
    sample.handoff_records_installed = c.stats.handoff_records_installed;
  }
  sample.overloaded = gate.overloaded();
  for (uint64_t n : gate.shed_checks()) sample.shed_checks += n;
  for (const auto& e : watch.observe(sample)) log_watch_event(e);
  watch_timer.expires_after(kWatchEvery);
  watch_timer.async_wait([this](std::error_code ec) {
    if (!ec) watch_tick();
  });
}

void Node::Impl::install_view(std::optional<cluster::PublishedView> view) {
  if (!view) return;
  if (rls_door) rls_door->joined();
  // The cluster thread alone decides from now on (local decisions in progress finish first).
  if (view->alive.size() > 1 && solo->solo()) {
    solo->leave_solo();
    decided_while_solo.store(decisions_counted(), std::memory_order_relaxed);
  }
  published_ring.publish(view->alive, vnodes, std::move(view->states));
  cluster->set_view(std::move(view->alive));
}

void Node::Impl::log_client_tokens(std::string_view what) {
  // Names only: a token never reaches the log.
  std::string names;
  const auto tokens = client_auth.current();
  for (size_t i = 0; i < tokens->size(); ++i) names += (i ? ", " : "") + tokens->name(i);
  spdlog::info("{} {} client tokens from {}: {}", what, tokens->size(), client_auth.path(), names);
}

void Node::Impl::reload_key_ring() {
  if (!sealer) return;  // no --cluster-key-file: traffic stays plain (a key needs a restart)
  auto ring = read_key_ring_file(options.cluster_key_file);
  if (!ring) {
    log_event(spdlog::level::err, "cluster_key_refused", {{"reason", ring.status().message()}},
              "SIGHUP: refused the cluster key ring: " + ring.status().message() + "; keeping " +
                  describe_key_ring(*sealer->ring()));
    return;
  }
  log_event(spdlog::level::info, "cluster_key_installed",
            {{"keys", std::to_string(ring->keys.size())},
             {"primary", membership::key_fingerprint(ring->primary())}},
            "SIGHUP: cluster key ring " + describe_key_ring(*ring));
  sealer->set_ring(std::move(*ring));
}

void Node::Impl::reload_tls() {
  if (!tls_contexts) return;  // started without TLS: turning it on needs a restart
  if (Status s = tls_contexts->reload(); !s.is_ok()) {
    log_event(spdlog::level::err, "tls_reload_refused", {{"reason", s.message()}},
              "SIGHUP: refused the TLS files: " + s.message() +
                  "; new connections keep the certificate loaded before");
    return;
  }
  log_event(spdlog::level::info, "tls_reloaded", {{"cert", options.tls.cert}},
            "SIGHUP: reloaded the TLS certificate " + options.tls.cert + ", key and CA " +
                options.tls.ca + ": new connections use them, open ones keep theirs");
}

void Node::Impl::reload_client_tokens() {
  if (options.client_tokens_path.empty()) return;
  if (auto err = client_auth.reload(); !err.empty()) {
    spdlog::error("SIGHUP: refused the new client tokens in {}: {}; keeping the {} current ones",
                  options.client_tokens_path, err, client_auth.current()->size());
    return;
  }
  log_client_tokens("SIGHUP: reloaded");
}

void Node::Impl::expire_tick() {
  store.expire(clock.now(), kExpireBudget);
  for (const auto& line : memory_watch.observe(store.stats(), clock.monotonic())) {
    if (line.warning) {
      spdlog::warn("{}", line.text);
    } else {
      spdlog::info("{}", line.text);
    }
  }
  expire_timer.expires_after(kExpireEvery);
  expire_timer.async_wait([this](std::error_code ec) {
    if (!ec) expire_tick();
  });
}

uint64_t Node::Impl::decisions_counted() const {
  uint64_t n = 0;
  for (const auto& row : metrics.snapshot()) n += row.allowed + row.denied;
  return n;
}

uint64_t Node::Impl::decided_here(const net::ClusterSnapshot* c) const {
  if (solo->solo() || c == nullptr) return decisions_counted();
  return decided_while_solo.load(std::memory_order_relaxed) + c->stats.decided_as_owner +
         c->stats.decided_off_owner + c->stats.degraded;
}

void Node::Impl::fill_status(wire::StatusResponse& s) {
  const auto st = store.stats();
  const auto ss = stats.snapshot();
  s.set_node_id(options.id);
  s.set_version(DRL_VERSION);
  s.set_uptime_ms((clock.monotonic() - started) / kMillisecond);
  s.set_keys(st.keys);
  s.set_memory_bytes(st.memory_bytes);
  s.set_max_memory_bytes(options.max_memory_bytes);
  s.set_evicted(st.evicted);
  s.set_expired(st.expired);
  s.set_on_memory_full(std::string(limits::memory_full_mode_name(options.on_memory_full)));
  s.set_memory_untracked(st.untracked);
  s.set_reset_by_eviction(st.reset_flagged);
  s.set_replica_records_refused(st.install_refused);
  s.set_connections(ss.connections_open());
  s.set_checks(ss.checks);
  if (solo->solo()) s.set_checks_decided(decided_here(nullptr));
  s.set_listen(advertised_address);
  s.set_bound(listen_address);
  const auto catalog = policies.current();
  for (auto& n : catalog->names()) s.add_policies(n);
  s.set_policy_hash(catalog->hash());
  s.set_policy_version(catalog->version());
  s.set_policy_origin(catalog->origin());
  if (gossip) {
    for (const auto& m : gossip->members()) {
      auto* out = s.add_members();
      out->set_id(m.info.id);
      out->set_address(m.info.address);
      out->set_state(std::string(membership::to_string(m.state)));
      out->set_incarnation(m.incarnation);
    }
    const auto codec = gossip->codec_stats();
    s.set_gossip_rejected_packets(codec.dropped_auth_failed + codec.dropped_malformed +
                                  codec.dropped_too_large + codec.dropped_unknown_format);
  }
  net::ClusterSnapshot c;
  if (cluster && cluster->snapshot(c, std::chrono::seconds(1))) {
    s.set_ring_share(c.status.ring_share);
    s.set_keys_as_owner(c.status.keys_as_owner);
    s.set_keys_as_replica(c.status.keys_as_replica);
    s.set_replication_lag_ms(c.status.replication_lag / kMillisecond);
    s.set_ring_epoch(c.status.epoch);
    s.set_handoff_pending(c.status.handoff_pending);
    s.set_forwarded(c.stats.forwarded);
    s.set_decided_as_owner(c.stats.decided_as_owner);
    s.set_decided_off_owner(c.stats.decided_off_owner);
    if (!solo->solo()) s.set_checks_decided(decided_here(&c));
    s.set_failovers(c.stats.failovers);
    s.set_refused_relays(c.stats.refused_relays);
    s.set_held_for_view(c.stats.held_for_view);
    s.set_expired_relays(c.stats.expired_relays);
    s.set_degraded(c.stats.degraded);
    s.set_replica_records_sent(c.stats.replica_records_sent);
    s.set_replica_records_installed(c.stats.replica_records_installed);
    const auto& p = cluster->peer_stats();
    s.set_peer_queue_drops(p.queue_drops.load(std::memory_order_relaxed));
    s.set_peer_rejected_frames(p.auth_failures.load(std::memory_order_relaxed) +
                               p.malformed_frames.load(std::memory_order_relaxed));
  }
}

std::string Node::Impl::not_ready() {
  if (draining) return "draining (stopping)";
  if (!views || !views->published()) return "no cluster view yet (joining)";
  if (!options.seeds.empty() && !views->joined()) return "not joined: no seed answered";
  net::ClusterSnapshot c;
  if (!cluster->snapshot(c, std::chrono::milliseconds(100), /*count_keys=*/false)) {
    return "cluster thread not answering";
  }
  if (c.status.handoff_pending) return "hand-off pending (fetching the ranges it takes over)";
  return "";
}

namespace {

// Runs `f` on `control` and returns its value, or `otherwise` when the control thread has
// stopped (the node is stopping) or does not get to it within 10 s.
std::string on_control(asio::io_context& control, std::function<std::string()> f,
                       std::string otherwise) {
  auto done = std::make_shared<std::promise<std::string>>();
  auto result = done->get_future();
  asio::post(control, [f = std::move(f), done] { done->set_value(f()); });
  for (int i = 0; i < 100; ++i) {
    if (result.wait_for(std::chrono::milliseconds(100)) == std::future_status::ready) {
      return result.get();
    }
    if (control.stopped()) return otherwise;
  }
  return otherwise;
}

}  // namespace

service::HttpRoutes Node::Impl::http_routes() {
  service::HttpRoutes routes;
  routes.metrics = [this] {
    return on_control(
        control, [this] { return render_metrics(); }, "");
  };
  routes.not_ready = [this] {
    return on_control(
        control, [this] { return not_ready(); }, "stopping");
  };
  return routes;
}

std::string Node::Impl::start_http(std::optional<doors::HttpServer>& server,
                                   const std::string& host, uint16_t port, bool check) {
  doors::HttpServerOptions o;
  o.host = host;
  o.port = port;
  o.max_body_bytes = options.max_frame_bytes;
  o.threads = options.http_threads;
  o.default_timeout = options.overload.default_timeout;
  doors::HttpServices s;
  s.routes = http_routes();
  s.routes.check = check;
  if (check) {
    s.decider = &*solo;
    s.gate = &gate;
    s.auth = options.client_tokens_path.empty() ? nullptr : &client_auth;
    s.clock = &clock;
    s.node_id = options.id;
    s.rls = rls_door ? rls_door->exchange() : nullptr;  // started before the HTTP door
    // The check door speaks TLS with the node's files; --metrics stays plain (Prometheus
    // and the kubelet's probes).
    o.tls = tls_contexts.get();
  }
  server.emplace(std::move(o), std::move(s));
  return server->start();
}

std::string Node::Impl::render_metrics() {
  service::PrometheusText t;
  const auto st = store.stats();
  const auto ss = stats.snapshot();
  render_build_info(t);
  {
    const auto catalog = policies.current();
    const auto rls = rls_book.current();
    t.help("drl_policy_set_info", "gauge",
           "Always 1; `hash` is the content hash of this node's policy set (16 hex digits, "
           "0000000000000000 without policies), `version` its cluster version (0: the node's "
           "own --policies file, never pushed), `rls_domains` the domains of the Envoy RLS "
           "configuration its doors serve (the set's, else --rls-config). Nodes holding one "
           "set show one hash.");
    t.sample("drl_policy_set_info",
             {{"hash", hex64(catalog->hash())},
              {"version", std::to_string(catalog->version())},
              {"policies", std::to_string(catalog->size())},
              {"rls_domains", std::to_string(rls ? rls->domains().size() : 0)}},
             uint64_t{1});
    t.help("drl_policy_set_version", "gauge",
           "The cluster version of this node's policy set (0: its own --policies file, never "
           "pushed); the newest version wins everywhere within seconds.");
    t.sample("drl_policy_set_version", {}, catalog->version());
  }
  render_process_metrics(t);
  {
    service::ClusterMetricsInput in;
    if (gossip) in.members = gossip->members();
    in.checks_received = ss.checks;
    net::ClusterSnapshot c;
    if (cluster && cluster->snapshot(c, std::chrono::seconds(1))) {
      in.status = c.status;
      in.handoff_retries = c.stats.handoff_retries;
    }
    if (in.status || solo->solo()) in.checks_decided = decided_here(in.status ? &c : nullptr);
    service::render_cluster_metrics(t, in);
  }
  t.help("drl_checks_total", "counter", "Checks decided by this node, by policy and result.");
  for (const auto& row : metrics.snapshot()) {
    t.sample("drl_checks_total", {{"policy", row.policy}, {"result", "allowed"}}, row.allowed);
    t.sample("drl_checks_total", {{"policy", row.policy}, {"result", "denied"}}, row.denied);
    t.sample("drl_checks_total", {{"policy", row.policy}, {"result", "error"}}, row.error);
  }
  t.help("drl_requests_total", "counter", "Client requests read (a request holds 1+ checks).");
  t.sample("drl_requests_total", {}, ss.requests);
  t.help("drl_request_duration_seconds", "histogram",
         "Time from a request's frame being read to its response being queued.");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < service::kLatencyBucketsUs.size(); ++i) {
    cumulative += ss.latency[i];
    t.sample("drl_request_duration_seconds_bucket",
             {{"le", service::PrometheusText::seconds(service::kLatencyBucketsUs[i] * 1e-6)}},
             cumulative);
  }
  cumulative += ss.latency.back();
  t.sample("drl_request_duration_seconds_bucket", {{"le", "+Inf"}}, cumulative);
  t.sample("drl_request_duration_seconds_sum", {}, ss.latency_sum_ns * 1e-9);
  t.sample("drl_request_duration_seconds_count", {}, cumulative);
  t.help("drl_keys", "gauge", "Keys held in the store.");
  t.sample("drl_keys", {}, st.keys);
  t.help("drl_memory_bytes", "gauge", "Memory the store accounts for.");
  t.sample("drl_memory_bytes", {}, st.memory_bytes);
  t.help("drl_memory_limit_bytes", "gauge", "The --max-memory budget (0 = unbounded).");
  t.sample("drl_memory_limit_bytes", {}, options.max_memory_bytes);
  t.help("drl_memory_budget_used_ratio", "gauge",
         "Store memory in use over --max-memory (absent when unbounded); alerts at 0.8/0.9.");
  if (options.max_memory_bytes > 0) {
    t.sample("drl_memory_budget_used_ratio", {},
             static_cast<double>(st.memory_bytes) / static_cast<double>(options.max_memory_bytes));
  }
  t.help("drl_memory_full_checks_total", "counter",
         "Checks touched by memory pressure, by policy and event: untracked (answered "
         "MEMORY_FULL, --on-memory-full refuse) or reset_by_eviction (decided from a fresh "
         "budget because the key had been evicted, --on-memory-full evict).");
  for (const auto& row : metrics.snapshot()) {
    t.sample("drl_memory_full_checks_total", {{"policy", row.policy}, {"event", "untracked"}},
             row.untracked);
    t.sample("drl_memory_full_checks_total",
             {{"policy", row.policy}, {"event", "reset_by_eviction"}}, row.reset_by_eviction);
  }
  t.help("drl_replica_records_refused_total", "counter",
         "Replicated or handed-off records this node could not store within --max-memory "
         "(refuse): it cannot take over those keys' counts in a fail-over.");
  t.sample("drl_replica_records_refused_total", {}, st.install_refused);
  t.help("drl_evictions_total", "counter", "Keys dropped to honour the memory budget.");
  t.sample("drl_evictions_total", {{"kind", "live"}}, st.evicted);
  t.sample("drl_evictions_total", {{"kind", "expired"}}, st.evicted_expired);
  t.help("drl_expired_keys_total", "counter", "Keys dropped because they no longer mattered.");
  t.sample("drl_expired_keys_total", {}, st.expired);
  t.help("drl_connections", "gauge", "Open client connections.");
  t.sample("drl_connections", {}, ss.connections_open());
  t.help("drl_connections_total", "counter", "Client connections accepted.");
  t.sample("drl_connections_total", {}, ss.connections_accepted);
  t.help("drl_errors_total", "counter", "Protocol and connection errors, by kind.");
  for (size_t e = 0; e < ss.errors.size(); ++e) {
    t.sample(
        "drl_errors_total",
        {{"kind", std::string(service::server_error_name(static_cast<service::ServerError>(e)))}},
        ss.errors[e]);
  }
  t.help("drl_uptime_seconds", "gauge", "Seconds since the node started.");
  t.sample("drl_uptime_seconds", {}, (clock.monotonic() - started) * 1e-9);
  if (!options.client_tokens_path.empty()) {
    const auto tokens = client_auth.current();
    t.help("drl_client_requests_total", "counter",
           "Requests accepted with each client's token (--client-tokens-file), by client name.");
    for (size_t i = 0; i < tokens->size(); ++i) {
      t.sample("drl_client_requests_total", {{"client", tokens->name(i)}}, tokens->accepted(i));
    }
  }
  if (gossip) {
    const auto codec = gossip->codec_stats();
    t.help("drl_gossip_dropped_total", "counter",
           "Gossip packets (UDP and sync) dropped unread, by kind: auth_failed (wrong or missing "
           "cluster key), malformed, too_large, unknown_format.");
    t.sample("drl_gossip_dropped_total", {{"kind", "auth_failed"}}, codec.dropped_auth_failed);
    t.sample("drl_gossip_dropped_total", {{"kind", "malformed"}}, codec.dropped_malformed);
    t.sample("drl_gossip_dropped_total", {{"kind", "too_large"}}, codec.dropped_too_large);
    t.sample("drl_gossip_dropped_total", {{"kind", "unknown_format"}},
             codec.dropped_unknown_format);
  }
  if (cluster) {
    const auto& p = cluster->peer_stats();
    t.help("drl_peer_frames_rejected_total", "counter",
           "Peer frames refused (the connection is closed), by kind: auth_failed (wrong or "
           "missing cluster key), malformed (too large, no hello, unparsable).");
    t.sample("drl_peer_frames_rejected_total", {{"kind", "auth_failed"}},
             p.auth_failures.load(std::memory_order_relaxed));
    t.sample("drl_peer_frames_rejected_total", {{"kind", "malformed"}},
             p.malformed_frames.load(std::memory_order_relaxed));
    t.help("drl_peer_connections_replaced_total", "counter",
           "Incoming peer connections closed because the same peer connected again (it had "
           "given them up, e.g. after a cut link: they may never see a FIN).");
    t.sample("drl_peer_connections_replaced_total", {},
             p.replaced_connections.load(std::memory_order_relaxed));
    cluster->render_metrics(t);
  }
  storage->render_metrics(t);
  if (options.enable_test_hooks) {
    t.help("drl_test_fault_drops_total", "counter",
           "Peer frames and gossip packets, sent or received, dropped by faults injected with "
           "drl test-fault (--enable-test-hooks only).");
    t.sample("drl_test_fault_drops_total", {}, peer_faults.drops());
  }
  gate.render(t);
  return t.str();
}

}  // namespace drl::node
