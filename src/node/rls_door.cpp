#include "node/rls_door.h"

#include <spdlog/spdlog.h>

namespace drl::node {

RlsDoor::RlsDoor(const NodeOptions& options, service::CheckDecider& decider,
                 service::RequestGate* gate, const Clock& clock, const rls::RlsConfigBook& book)
    : options_(options), decider_(decider), gate_(gate), clock_(clock), book_(book) {}

std::string RlsDoor::start() {
  if (book_.current() == nullptr) {
    spdlog::warn(
        "--grpc without --rls-config or a cluster RLS config: no domain is configured, every "
        "descriptor is answered OK until a policy set with one is pushed");
  }
  rls::RlsExchangeOptions eo;
  eo.answer.response_headers = options_.rls_response_headers;
  eo.all_or_nothing = options_.rls_all_or_nothing;
  exchange_.emplace(
      eo, rls::RlsExchangeServices{&decider_, gate_, &clock_, [this] { return book_.current(); }});
  doors::RlsGrpcOptions o;
  o.host = options_.grpc_host;
  o.port = options_.grpc_port;
  o.default_timeout = options_.overload.default_timeout;
  o.max_message_bytes = static_cast<int>(options_.max_frame_bytes);
  o.tls = options_.tls;
  server_.emplace(std::move(o), doors::RlsGrpcServices{&*exchange_, &clock_});
  return server_->start();
}

void RlsDoor::joined() {
  if (server_ && !draining_) server_->set_serving(true);
}

void RlsDoor::drain() {
  draining_ = true;
  if (server_) server_->set_serving(false);
}

void RlsDoor::stop() {
  if (server_) server_->stop();
}

}  // namespace drl::node
