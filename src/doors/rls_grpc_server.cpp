#include "doors/rls_grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <vector>

#include "envoy/service/ratelimit/v3/rls.grpc.pb.h"
#include "service/all_or_nothing.h"

namespace drl::doors {
namespace {

using envoy::service::ratelimit::v3::RateLimitService;

// A call in flight: owns what the check path borrows (the plan's keys) until it completes.
struct RlsCall {
  grpc::ServerUnaryReactor* reactor = nullptr;
  rls::RateLimitResponse* response = nullptr;
  rls::RlsPlan plan;
  std::vector<service::CheckCall> calls;
  std::vector<service::CheckOutcome> shed;
};

grpc::Status status_for(const service::CheckOutcome& o) {
  switch (o.code) {
    case service::CheckCode::kOk:
      return grpc::Status::OK;
    case service::CheckCode::kOverloaded:
    case service::CheckCode::kUnavailable:
      return {grpc::StatusCode::UNAVAILABLE, o.message};
    case service::CheckCode::kInvalidLimit:
    case service::CheckCode::kInvalidKey:
    case service::CheckCode::kInvalidCost:
      return {grpc::StatusCode::INVALID_ARGUMENT, o.message};
    default:
      return {grpc::StatusCode::INTERNAL,
              std::string(service::check_code_name(o.code)) + ": " + o.message};
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
    auto call = std::make_shared<RlsCall>();
    call->reactor = reactor;
    call->response = response;
    const auto config = services_.config ? services_.config() : nullptr;
    call->plan = rls::plan_request(config.get(), *request);
    if (!call->plan.error.empty()) {
      reactor->Finish({grpc::StatusCode::INVALID_ARGUMENT, call->plan.error});
      return reactor;
    }
    if (call->plan.checks == 0) {
      rls::answer(call->plan, {}, services_.clock->now(), options_.answer, *response);
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    const int64_t now = services_.clock->monotonic();
    const int64_t deadline = now + budget(*context);
    call->calls.reserve(call->plan.checks);
    for (const rls::PlannedDescriptor& d : call->plan.descriptors) {
      if (d.kind != rls::PlanKind::kCheck) continue;
      service::CheckCall& c = call->calls.emplace_back();
      c.key = d.key;
      c.has_inline = true;
      c.limit = d.limit;
      // A blocked descriptor refuses the request: all or nothing then only peeks.
      c.request.cost = call->plan.blocked && options_.all_or_nothing ? 0 : d.cost;
      c.request.shadow = d.shadow;
      c.deadline = deadline;
    }
    service::RequestGate* gate = services_.gate;
    if (gate != nullptr && !gate->admit(now, now, deadline, call->calls, call->shed)) {
      finish(*call, std::span<const service::CheckOutcome>(call->shed.data(), call->calls.size()));
      return reactor;
    }
    auto completion = [this, call, gate](std::span<const service::CheckOutcome> outcomes) {
      if (gate != nullptr) gate->finished();
      finish(*call, outcomes);
    };
    if (options_.all_or_nothing) {
      service::decide_all_or_nothing(*services_.decider, *services_.clock, call->calls,
                                     std::move(completion));
    } else {
      services_.decider->decide(call->calls, std::move(completion));
    }
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

  void finish(RlsCall& call, std::span<const service::CheckOutcome> outcomes) {
    std::vector<limits::Decision> decisions;
    decisions.reserve(outcomes.size());
    for (const service::CheckOutcome& o : outcomes) {
      if (o.code != service::CheckCode::kOk) {
        call.reactor->Finish(status_for(o));
        return;
      }
      decisions.push_back(o.decision);
    }
    rls::answer(call.plan, decisions, services_.clock->now(), options_.answer, *call.response);
    call.reactor->Finish(grpc::Status::OK);
  }

  const RlsGrpcOptions& options_;
  const RlsGrpcServices& services_;
};

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
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &bound);
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
