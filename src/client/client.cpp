#include "drl/client.h"

#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "client/node_link.h"
#include "client/owner_router.h"
#include "client/retry_policy.h"
#include "common/host_port.h"

namespace drl {
namespace {

void to_wire(const CheckSpec& spec, wire::Check& c) {
  c.set_key(spec.key);
  c.set_cost(spec.cost);
  if (spec.limit) {
    auto* l = c.mutable_limit();
    l->set_algorithm(static_cast<wire::Algorithm>(spec.limit->algorithm));
    l->set_limit(spec.limit->limit);
    l->set_window_ms(static_cast<uint64_t>(std::max<int64_t>(0, spec.limit->window.count())));
    l->set_burst(spec.limit->burst);
  } else if (!spec.policy.empty()) {
    c.set_policy(spec.policy);
  }
  c.set_reset(spec.reset);
  c.set_refund(spec.refund);
  c.set_drain_on_deny(spec.drain_on_deny);
  c.set_shadow(spec.shadow);
}

CheckResult from_wire(const wire::CheckResult& r, const std::string& decided_by) {
  CheckResult out;
  out.code = r.code() <= wire::INTERNAL      ? static_cast<ResultCode>(r.code())
             : r.code() == wire::MEMORY_FULL ? ResultCode::kMemoryFull
                                             : ResultCode::kInternal;
  out.allowed = r.allowed();
  out.limit = r.limit();
  out.remaining = r.remaining();
  out.reset_at_ms = r.reset_at_ms();
  out.retry_after_ms = r.retry_after_ms();
  out.delay_ms = r.delay_ms();
  out.message = r.message();
  out.degraded = r.degraded();
  out.shadow_denied = r.shadow_denied();
  out.reset_by_eviction = r.reset_by_eviction();
  out.decided_by = r.decided_by().empty() ? decided_by : r.decided_by();
  return out;
}

std::vector<CheckResult> failed(size_t n, ResultCode code, std::string_view message) {
  std::vector<CheckResult> out(n);
  for (auto& r : out) {
    r.code = code;
    r.message = std::string(message);
  }
  return out;
}

tls::TlsFiles tls_files(const ClientTls& t) {
  tls::TlsFiles f;
  f.ca = t.ca_file;
  f.cert = t.cert_file;
  f.key = t.key_file;
  return f;
}

}  // namespace

struct Client::Impl {
  ClientOptions options;
  std::optional<client::RetryPolicy> retry;  // I/O thread only
  // Sends `request` (again, on retries) and hands the results to `done`. `target` is the
  // index of the node a retry goes to; kAnyNode = the usual link.
  static constexpr size_t kAnyNode = SIZE_MAX;
  void send(std::shared_ptr<wire::Request> request, size_t n, uint32_t attempt,
            std::chrono::milliseconds last_wait, size_t target, Client::BatchCallback done);
  // The link for retries to nodes[i] (made on first use): it connects to nodes[i], or to
  // the next reachable node when nodes[i] cannot be reached. I/O thread only.
  client::NodeLink& retry_link(size_t i);
  size_t node_index(const std::string& text) const;
  // Blocking: sends `request` (with the client's token) on the usual link and hands the
  // answer to `take`, which returns false when it is not the answer expected. False, with
  // `error` set, when nothing or something else came back. Not on the I/O thread.
  bool exchange(wire::Request request, const std::function<bool(const wire::Response&)>& take,
                std::string& error);

  std::vector<client::Endpoint> endpoints;

  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{asio::make_work_guard(io)};
  // Every link is declared after `io`, so it is destroyed before the io_context it uses.
  std::vector<std::shared_ptr<client::NodeLink>> retry_links;  // by node index; may be null
  std::shared_ptr<client::NodeLink> link;
  std::shared_ptr<client::OwnerRouter> router;  // with route_to_owner; falls back to `link`
  // Why every request fails at once: a node text that did not parse, TLS files that did not
  // load; empty: none.
  std::string refusal;
  std::shared_ptr<tls::Context> tls;  // the client side's; null: plain
  std::thread thread;
};

Result<std::unique_ptr<Client>> Client::create(ClientOptions options) {
  if (options.nodes.empty()) {
    return Status(ResultCode::kInvalidArgument, "no node given (ClientOptions::nodes is empty)");
  }
  for (const auto& n : options.nodes) {
    if (auto parsed = parse_host_port(n); !parsed) return parsed.status();
  }
  if (options.tls.enabled) {
    if (auto context = tls::load_client_context(tls_files(options.tls)); !context) {
      return context.status();
    }
  }
  return std::make_unique<Client>(std::move(options));
}

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->retry.emplace(options.overload_backoff, std::random_device{}());
  std::vector<client::Endpoint> nodes;
  for (const auto& n : options.nodes) {
    if (auto e = client::parse_endpoint(n)) {
      nodes.push_back(std::move(*e));
    } else if (impl_->refusal.empty()) {
      impl_->refusal = "'" + n + "' is not HOST:PORT";
    }
  }
  if (options.tls.enabled) {
    auto context = tls::load_client_context(tls_files(options.tls));
    if (context) {
      impl_->tls = std::move(*context);
    } else if (impl_->refusal.empty()) {
      impl_->refusal = context.status().message();
    }
  }
  impl_->endpoints = nodes;
  impl_->retry_links.resize(nodes.size());
  impl_->link = std::make_shared<client::NodeLink>(impl_->io, std::move(nodes),
                                                   options.connect_timeout, options.request_timeout,
                                                   options.max_frame_bytes, impl_->tls);
  if (options.route_to_owner) {
    impl_->router = std::make_shared<client::OwnerRouter>(
        impl_->io, impl_->link,
        client::OwnerRouterOptions{.connect_timeout = options.connect_timeout,
                                   .request_timeout = options.request_timeout,
                                   .max_frame_bytes = options.max_frame_bytes,
                                   .refresh_every = options.ring_refresh,
                                   .prepare =
                                       [token = options.auth_token](wire::Request& r) {
                                         if (!token.empty()) r.set_auth_token(token);
                                       },
                                   .tls = impl_->tls});
  }
  impl_->thread = std::thread([io = &impl_->io] { io->run(); });
}

Client::~Client() {
  std::promise<void> closed;
  asio::post(impl_->io, [this, &closed] {
    if (impl_->router) impl_->router->close("the client was destroyed");
    impl_->link->close("the client was destroyed");
    for (auto& l : impl_->retry_links) {
      if (l) l->close("the client was destroyed");
    }
    closed.set_value();
  });
  closed.get_future().wait();
  impl_->guard.reset();
  impl_->io.stop();
  impl_->thread.join();
}

void Client::check_async(const std::vector<CheckSpec>& batch, BatchCallback done,
                         const BatchOptions& options) {
  if (!impl_->refusal.empty()) {
    done(failed(batch.size(), ResultCode::kUnavailable, impl_->refusal));
    return;
  }
  auto request = std::make_shared<wire::Request>();
  for (const auto& spec : batch) to_wire(spec, *request->mutable_check()->add_checks());
  if (options.all_or_nothing) request->mutable_check()->set_all_or_nothing(true);
  // The node gets 90% of our patience, so its OVERLOADED answer arrives before we give up.
  const int64_t patience = impl_->options.request_timeout.count();
  if (!impl_->options.auth_token.empty()) request->set_auth_token(impl_->options.auth_token);
  request->set_timeout_ms(
      static_cast<uint32_t>(std::clamp<int64_t>(patience - patience / 10, 1, 60'000)));
  const size_t n = batch.size();
  asio::post(impl_->io, [this, request, n, done = std::move(done)]() mutable {
    impl_->send(request, n, 0, std::chrono::milliseconds(0), Impl::kAnyNode, std::move(done));
  });
}

client::NodeLink& Client::Impl::retry_link(size_t i) {
  if (!retry_links[i]) {
    // nodes[i] first, then the others in order: a retry whose node cannot be reached (it
    // died) goes to the next one instead of failing.
    std::vector<client::Endpoint> from_i(endpoints.begin() + static_cast<ptrdiff_t>(i),
                                         endpoints.end());
    from_i.insert(from_i.end(), endpoints.begin(), endpoints.begin() + static_cast<ptrdiff_t>(i));
    retry_links[i] =
        std::make_shared<client::NodeLink>(io, std::move(from_i), options.connect_timeout,
                                           options.request_timeout, options.max_frame_bytes, tls);
  }
  return *retry_links[i];
}

size_t Client::Impl::node_index(const std::string& text) const {
  for (size_t i = 0; i < endpoints.size(); ++i) {
    if (endpoints[i].text == text) return i;
  }
  return endpoints.size();
}

void Client::Impl::send(std::shared_ptr<wire::Request> request, size_t n, uint32_t attempt,
                        std::chrono::milliseconds last_wait, size_t target,
                        Client::BatchCallback done) {
  // Which node will answer (a retry's pinned node, else the link's current one), so that a
  // retry after OVERLOADED can go elsewhere.
  const size_t sent_to = target != kAnyNode ? target : node_index(link->current_node());
  auto on_response = [this, request, n, attempt, last_wait, sent_to, done = std::move(done)](
                         const wire::Response* response, std::string_view error,
                         bool timed_out) mutable {
    if (response == nullptr) {
      done(failed(n, timed_out ? ResultCode::kTimeout : ResultCode::kUnavailable, error));
      return;
    }
    if (response->has_error()) {
      done(failed(n, ResultCode::kRequestError, response->error().message()));
      return;
    }
    const auto& check = response->check();
    if (static_cast<size_t>(check.results_size()) != n) {
      done(failed(n, ResultCode::kInternal, "the node answered with the wrong number of results"));
      return;
    }
    int64_t retry_after_ms = -1;
    for (const auto& r : check.results()) {
      if (r.code() == wire::OVERLOADED)
        retry_after_ms = std::max(retry_after_ms, r.retry_after_ms());
    }
    if (retry_after_ms >= 0 && attempt < options.overload_retries) {
      const auto wait = retry->wait(retry_after_ms, last_wait);
      const size_t next =
          endpoints.empty() ? kAnyNode : retry->next_node(endpoints.size(), sent_to);
      auto timer = std::make_shared<asio::steady_timer>(io, wait);
      timer->async_wait([this, timer, request, n, attempt, wait, next,
                         done = std::move(done)](std::error_code) mutable {
        send(request, n, attempt + 1, wait, next, std::move(done));
      });
      return;
    }
    std::vector<CheckResult> results;
    results.reserve(n);
    for (const auto& r : check.results()) results.push_back(from_wire(r, check.decided_by()));
    done(std::move(results));
  };
  // A retry pinned to the node the usual link already talks to goes over that link: a
  // second connection to the same node costs it a descriptor and a --max-connections slot.
  if (target != kAnyNode) {
    if (link->connected_to(endpoints[target].text)) {
      link->send(*request, std::move(on_response));
    } else {
      retry_link(target).send(*request, std::move(on_response));
    }
  } else if (router && !request->check().all_or_nothing()) {
    // The router splits a batch per owner; an all-or-nothing batch is decided by one node.
    router->send(*request, std::move(on_response));
  } else {
    link->send(*request, std::move(on_response));
  }
}

std::vector<CheckResult> Client::check(const std::vector<CheckSpec>& batch,
                                       const BatchOptions& options) {
  std::promise<std::vector<CheckResult>> promise;
  auto future = promise.get_future();
  check_async(
      batch, [&promise](std::vector<CheckResult> r) { promise.set_value(std::move(r)); }, options);
  return future.get();
}

CheckResult Client::check(const CheckSpec& spec) {
  auto results = check(std::vector<CheckSpec>{spec});
  return std::move(results.front());
}

bool Client::status(NodeStatus& out, std::string& error) {
  wire::Request request;
  request.mutable_status();
  return impl_->exchange(
      std::move(request),
      [&](const wire::Response& response) {
        if (!response.has_status()) return false;
        const auto& s = response.status();
        out.node_id = s.node_id();
        out.version = s.version();
        out.listen = s.listen();
        out.bound = s.bound();
        out.uptime_ms = s.uptime_ms();
        out.keys = s.keys();
        out.memory_bytes = s.memory_bytes();
        out.max_memory_bytes = s.max_memory_bytes();
        out.evicted = s.evicted();
        out.expired = s.expired();
        out.on_memory_full = s.on_memory_full();
        out.memory_untracked = s.memory_untracked();
        out.reset_by_eviction = s.reset_by_eviction();
        out.replica_records_refused = s.replica_records_refused();
        out.connections = s.connections();
        out.checks = s.checks();
        out.checks_decided = s.checks_decided();
        out.policies.assign(s.policies().begin(), s.policies().end());
        out.members.clear();
        for (const auto& m : s.members()) {
          out.members.push_back({m.id(), m.address(), m.state(), m.incarnation()});
        }
        out.ring_share = s.ring_share();
        out.ring_epoch = s.ring_epoch();
        out.policy_hash = s.policy_hash();
        out.policy_version = s.policy_version();
        out.policy_origin = s.policy_origin();
        out.keys_as_owner = s.keys_as_owner();
        out.keys_as_replica = s.keys_as_replica();
        out.replication_lag_ms = s.replication_lag_ms();
        out.handoff_pending = s.handoff_pending();
        out.forwarded = s.forwarded();
        out.decided_as_owner = s.decided_as_owner();
        out.decided_off_owner = s.decided_off_owner();
        out.failovers = s.failovers();
        out.degraded = s.degraded();
        out.replica_records_sent = s.replica_records_sent();
        out.replica_records_installed = s.replica_records_installed();
        out.peer_queue_drops = s.peer_queue_drops();
        out.peer_rejected_frames = s.peer_rejected_frames();
        out.gossip_rejected_packets = s.gossip_rejected_packets();
        out.refused_relays = s.refused_relays();
        out.held_for_view = s.held_for_view();
        out.expired_relays = s.expired_relays();
        return true;
      },
      error);
}

// Sends one PolicyRequest and waits for the answer.
bool Client::policy_request(bool push, const std::string& yaml, const std::string* rls,
                            PolicySetInfo& out, std::string& error) {
  wire::Request request;
  auto* body = request.mutable_policy();
  body->set_push(push);
  if (push) body->set_yaml(yaml);
  if (push && rls != nullptr) {
    body->set_set_rls(true);
    body->set_rls(*rls);
  }
  return impl_->exchange(
      std::move(request),
      [&](const wire::Response& response) {
        if (!response.has_policy()) return false;
        const auto& p = response.policy();
        out.version = p.version();
        out.hash = p.hash();
        out.origin = p.origin();
        out.yaml = p.yaml();
        out.names.assign(p.names().begin(), p.names().end());
        out.rls = p.rls();
        return true;
      },
      error);
}

bool Client::set_peer_faults(const std::vector<PeerFault>& faults, uint32_t& in_force,
                             std::string& error) {
  wire::Request request;
  auto* admin = request.mutable_admin();
  for (const PeerFault& f : faults) {
    auto* out = admin->add_faults();
    out->set_peer(f.peer);
    out->set_drop(f.drop);
    out->set_delay_ms(f.delay_ms);
  }
  return impl_->exchange(
      std::move(request),
      [&](const wire::Response& response) {
        if (!response.has_admin()) return false;
        in_force = response.admin().faults_in_force();
        return true;
      },
      error);
}

bool Client::Impl::exchange(wire::Request request,
                            const std::function<bool(const wire::Response&)>& take,
                            std::string& error) {
  if (!refusal.empty()) {
    error = refusal;
    return false;
  }
  if (!options.auth_token.empty()) request.set_auth_token(options.auth_token);
  std::promise<bool> promise;
  auto future = promise.get_future();
  asio::post(io, [&] {
    link->send(request, [&](const wire::Response* response, std::string_view e, bool) {
      if (response != nullptr && take(*response)) {
        promise.set_value(true);
        return;
      }
      error = response == nullptr     ? std::string(e)
              : response->has_error() ? response->error().message()
                                      : "unexpected answer";
      promise.set_value(false);
    });
  });
  return future.get();
}

bool Client::policies(PolicySetInfo& out, std::string& error) {
  return policy_request(false, {}, nullptr, out, error);
}

bool Client::push_policies(const std::string& yaml, PolicySetInfo& out, std::string& error) {
  return policy_request(true, yaml, nullptr, out, error);
}

bool Client::push_policy_set(const std::string& yaml, const std::string& rls, PolicySetInfo& out,
                             std::string& error) {
  return policy_request(true, yaml, &rls, out, error);
}

std::string Client::current_node() const {
  std::promise<std::string> p;
  auto f = p.get_future();
  asio::post(impl_->io, [&] { p.set_value(impl_->link->current_node()); });
  return f.get();
}

}  // namespace drl
