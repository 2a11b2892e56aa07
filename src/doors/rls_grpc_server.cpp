#include "doors/rls_grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>
#include <optional>

#include "envoy/service/ratelimit/v3/rls.grpc.pb.h"

namespace drl::doors {
namespace {

using envoy::service::ratelimit::v3::RateLimitService;

grpc::Status status_for(const rls::RlsExchangeError& e) {
  if (e.invalid_request) return {grpc::StatusCode::INVALID_ARGUMENT, e.message};
  switch (e.code) {
    case service::CheckCode::kOk:
      return grpc::Status::OK;
    case service::CheckCode::kOverloaded:
    case service::CheckCode::kUnavailable:
      return {grpc::StatusCode::UNAVAILABLE, e.message};
    case service::CheckCode::kInvalidLimit:
    case service::CheckCode::kInvalidKey:
    case service::CheckCode::kInvalidCost:
      return {grpc::StatusCode::INVALID_ARGUMENT, e.message};
    default:
      return {grpc::StatusCode::INTERNAL,
              std::string(service::check_code_name(e.code)) + ": " + e.message};
  }
}

}  // namespace

class RlsGrpcServer::Handler final : public RateLimitService::CallbackService {
 public:
  Handler(const RlsGrpcOptions& options, const RlsGrpcServices& services)
      : options_(options), services_(services) {}

  grpc::ServerUnaryReactor* ShouldRateLimit(grpc::CallbackServerContext* context,
                                            const rls::RateLimitRequest* request,
                                            rls::RateLimitResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    const int64_t deadline = services_.clock->monotonic() + budget(*context);
    services_.exchange->decide(*request, deadline, response,
                               [reactor](const std::optional<rls::RlsExchangeError>& error) {
                                 reactor->Finish(error ? status_for(*error) : grpc::Status::OK);
                               });
    return reactor;
  }

 private:
  // Nanoseconds the call may take: its gRPC deadline, within max_timeout.
  int64_t budget(const grpc::CallbackServerContext& context) const {
    using namespace std::chrono;
    nanoseconds left = options_.default_timeout;
    const auto deadline = context.deadline();
    if (deadline != system_clock::time_point::max()) {
      left = duration_cast<nanoseconds>(deadline - system_clock::now());
    }
    left = std::clamp<nanoseconds>(left, nanoseconds(0), options_.max_timeout);
    return left.count();
  }

  const RlsGrpcOptions& options_;
  const RlsGrpcServices& services_;
};

namespace {

std::shared_ptr<grpc::ServerCredentials> credentials(const tls::TlsFiles& files) {
  if (!files.enabled()) return grpc::InsecureServerCredentials();
  using grpc::experimental::FileWatcherCertificateProvider;
  auto provider = files.ca.empty() ? std::make_shared<FileWatcherCertificateProvider>(
                                         files.key, files.cert, kTlsRefreshSeconds)
                                   : std::make_shared<FileWatcherCertificateProvider>(
                                         files.key, files.cert, files.ca, kTlsRefreshSeconds);
  grpc::experimental::TlsServerCredentialsOptions o(provider);
  o.watch_identity_key_cert_pairs();
  if (!files.ca.empty()) o.watch_root_certs();
  o.set_cert_request_type(files.require_client_cert
                              ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                          : files.ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                             : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(o);
}

}  // namespace

RlsGrpcServer::RlsGrpcServer(RlsGrpcOptions options, RlsGrpcServices services)
    : options_(std::move(options)), services_(std::move(services)) {}

RlsGrpcServer::~RlsGrpcServer() { stop(); }

std::string RlsGrpcServer::start() {
  grpc::EnableDefaultHealthCheckService(true);
  handler_ = std::make_unique<Handler>(options_, services_);
  grpc::ServerBuilder builder;
  int bound = 0;
  const std::string address = options_.host.find(':') != std::string::npos
                                  ? "[" + options_.host + "]:" + std::to_string(options_.port)
                                  : options_.host + ":" + std::to_string(options_.port);
  builder.AddListeningPort(address, credentials(options_.tls), &bound);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.RegisterService(handler_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || bound == 0) {
    server_.reset();
    return "cannot serve gRPC on " + address;
  }
  port_ = static_cast<uint16_t>(bound);
  set_serving(false);
  return "";
}

void RlsGrpcServer::set_serving(bool serving) {
  if (!server_) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus("", serving);
  health->SetServingStatus(kRlsServiceName, serving);
}

void RlsGrpcServer::stop() {
  if (!server_) return;
  set_serving(false);
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_->Wait();
  server_.reset();
}

}  // namespace drl::doors
