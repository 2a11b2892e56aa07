#include "doors/http_server.h"

#include <httplib.h>

#include <algorithm>
#include <future>
#include <optional>
#include <utility>
#include <vector>

#include "rls/json_exchange.h"
#include "service/all_or_nothing.h"
#include "service/http_check.h"
#include "tls/tls_context.h"

namespace drl::doors {
namespace {

// A /json exchange in flight: owns the request and the response until the exchange is done,
// which may be after the worker stopped waiting.
struct PendingRls {
  rls::RateLimitRequest request;
  rls::RateLimitResponse response;
  std::promise<std::pair<int, std::string>> answer;  // status and JSON body
};

// A request in flight: owns what the check path borrows (the plan's keys) until the decider
// completes, which may be after the worker stopped waiting.
struct PendingCheck {
  service::HttpCheckPlan plan;
  std::vector<service::CheckOutcome> shed;
  std::promise<std::string> answer;  // the JSON body
};

void reply(httplib::Response& res, const service::HttpError& error) {
  res.status = error.status;
  res.set_content(service::http_error_json(error), service::kJsonType);
}

std::string_view bearer_token(const httplib::Request& req) {
  static const std::string kEmpty;
  const auto it = req.headers.find("Authorization");
  const std::string& value = it == req.headers.end() ? kEmpty : it->second;
  std::string_view v = value;
  constexpr std::string_view kBearer = "Bearer ";
  return v.substr(0, kBearer.size()) == kBearer ? v.substr(kBearer.size()) : std::string_view{};
}

}  // namespace

class HttpServer::Handler {
 public:
  Handler(const HttpServerOptions& options, const HttpServices& services,
          const std::atomic<bool>& stopping)
      : options_(options), services_(services), stopping_(stopping) {}

  // What every check path refuses before reading the body: a request without a known client
  // token (when the node has tokens), and any request once the node is stopping. True when
  // `res` holds the refusal.
  bool refused(const httplib::Request& req, httplib::Response& res) const {
    if (services_.auth != nullptr && !services_.auth->verify(bearer_token(req))) {
      reply(res, service::http_unauthenticated());
      return true;
    }
    if (stopping_.load(std::memory_order_relaxed)) {
      reply(res, {503, "SHUTTING_DOWN", "the node is stopping; try another"});
      return true;
    }
    return false;
  }

  void check(const httplib::Request& req, httplib::Response& res) {
    if (refused(req, res)) return;
    auto pending = std::make_shared<PendingCheck>();
    if (auto error = service::plan_http_check(req.body, pending->plan); !error.code.empty()) {
      return reply(res, error);
    }
    auto& calls = pending->plan.calls;
    const auto timeout =
        pending->plan.timeout_ms == 0
            ? options_.default_timeout
            : std::min(std::chrono::milliseconds(pending->plan.timeout_ms), options_.max_timeout);
    const int64_t now = services_.clock->monotonic();
    const int64_t deadline =
        now + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    for (auto& call : calls) call.deadline = deadline;
    auto answer = pending->answer.get_future();
    service::RequestGate* gate = services_.gate;
    std::string node_id = services_.node_id;
    if (gate != nullptr && !gate->admit(now, now, deadline, calls, pending->shed)) {
      pending->answer.set_value(service::http_check_json(
          std::span<const service::CheckOutcome>(pending->shed.data(), calls.size()), node_id));
    } else {
      auto done = [pending, gate, node_id](std::span<const service::CheckOutcome> outcomes) {
        if (gate != nullptr) gate->finished();
        pending->answer.set_value(service::http_check_json(outcomes, node_id));
      };
      if (pending->plan.all_or_nothing) {
        service::decide_all_or_nothing(*services_.decider, *services_.clock, calls,
                                       std::move(done));
      } else {
        services_.decider->decide(calls, std::move(done));
      }
    }
    // The check path answers by the deadline (it drops work past it); the margin only guards
    // against a bug leaving a worker waiting for ever.
    if (answer.wait_for(timeout + std::chrono::seconds(2)) != std::future_status::ready) {
      return reply(res, {503, "UNAVAILABLE", "no answer within the request's deadline"});
    }
    res.status = 200;
    res.set_content(answer.get(), service::kJsonType);
  }

  // POST /json: one RLS exchange, answered as envoyproxy/ratelimit's /json endpoint.
  void rls_json(const httplib::Request& req, httplib::Response& res) {
    if (refused(req, res)) return;
    auto pending = std::make_shared<PendingRls>();
    if (auto error = rls::parse_rls_json(req.body, pending->request); !error.code.empty()) {
      return reply(res, error);
    }
    auto answer = pending->answer.get_future();
    const int64_t deadline =
        services_.clock->monotonic() +
        std::chrono::duration_cast<std::chrono::nanoseconds>(options_.default_timeout).count();
    services_.rls->decide(
        pending->request, deadline, &pending->response,
        [pending](const std::optional<rls::RlsExchangeError>& error) {
          if (error) {
            const service::HttpError e = rls::rls_json_error(*error);
            pending->answer.set_value({e.status, service::http_error_json(e)});
          } else {
            pending->answer.set_value({rls::rls_json_status(pending->response),
                                       rls::rls_response_json(pending->response)});
          }
        });
    if (answer.wait_for(options_.default_timeout + std::chrono::seconds(2)) !=
        std::future_status::ready) {
      return reply(res, {503, "UNAVAILABLE", "no answer within the request's deadline"});
    }
    auto [status, body] = answer.get();
    res.status = status;
    res.set_content(std::move(body), service::kJsonType);
  }

  void other(const httplib::Request& req, httplib::Response& res) {
    const service::HttpAnswer a = service::answer_http(req.method, req.path, services_.routes);
    res.status = a.status;
    res.set_content(a.body, a.content_type);
  }

  // Answers the library gives itself (a body over the limit, a request it cannot parse) get a
  // JSON body like every other error.
  httplib::Server::HandlerResponse error(const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 413) {
      reply(res, service::http_body_too_large(options_.max_body_bytes));
    } else {
      reply(res, {res.status, "MALFORMED_FRAME", "the request is not HTTP/1.1 this port can read"});
    }
    return httplib::Server::HandlerResponse::Handled;
  }

 private:
  const HttpServerOptions& options_;
  const HttpServices& services_;
  const std::atomic<bool>& stopping_;
};

HttpServer::HttpServer(HttpServerOptions options, HttpServices services)
    : options_(std::move(options)), services_(std::move(services)) {}

HttpServer::~HttpServer() { stop(); }

std::string HttpServer::start() {
  handler_ = std::make_unique<Handler>(options_, services_, stopping_);
  if (options_.tls != nullptr) {
    const tls::NodeContexts* contexts = options_.tls;
    auto https = std::make_unique<httplib::SSLServer>([contexts](SSL_CTX& ctx) {
      tls::follow_server_contexts(ctx, *contexts);
      return true;
    });
    if (!https->is_valid()) return "cannot serve HTTPS: " + tls::last_openssl_error("no context");
    server_ = std::move(https);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& s = *server_;
  const size_t threads = std::max<size_t>(1, options_.threads);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.set_payload_max_length(options_.max_body_bytes);
  s.set_read_timeout(options_.read_timeout);
  s.set_write_timeout(options_.read_timeout);
  s.set_keep_alive_timeout(options_.keep_alive_timeout.count());
  s.set_keep_alive_max_count(1u << 20);
  s.set_tcp_nodelay(true);
  Handler* h = handler_.get();
  if (services_.routes.check) {
    s.Post(service::kCheckPath,
           [h](const httplib::Request& req, httplib::Response& res) { h->check(req, res); });
  }
  if (services_.rls != nullptr) {
    s.Post(rls::kJsonPath,
           [h](const httplib::Request& req, httplib::Response& res) { h->rls_json(req, res); });
  }
  auto other = [h](const httplib::Request& req, httplib::Response& res) { h->other(req, res); };
  s.Get(".*", other);
  s.Post(".*", other);
  s.Put(".*", other);
  s.Patch(".*", other);
  s.Delete(".*", other);
  s.Options(".*", other);
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [h](const httplib::Request& req, httplib::Response& res) { return h->error(req, res); }));
  const std::string address = options_.host + ":" + std::to_string(options_.port);
  if (options_.port == 0) {
    const int bound = s.bind_to_any_port(options_.host);
    if (bound <= 0) return "cannot serve HTTP on " + address;
    port_ = static_cast<uint16_t>(bound);
  } else {
    if (!s.bind_to_port(options_.host, options_.port)) return "cannot serve HTTP on " + address;
    port_ = options_.port;
  }
  thread_ = std::thread([this, &s] {
    s.listen_after_bind();
    listened_.store(true);
  });
  return "";
}

void HttpServer::stop() {
  stopping_.store(true, std::memory_order_relaxed);
  if (server_ && thread_.joinable()) {
    // stop() does nothing before the listening thread has started to listen: wait for that.
    while (!server_->is_running() && !listened_.load()) std::this_thread::yield();
    server_->stop();
  }
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace drl::doors
