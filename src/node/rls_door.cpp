#include "node/rls_door.h"

#include <spdlog/spdlog.h>

namespace drl::node {
namespace {

size_t rule_count(const std::vector<rls::DescriptorNode>& nodes) {
  size_t n = 0;
  for (const auto& node : nodes) n += (node.rate_limit ? 1 : 0) + rule_count(node.children);
  return n;
}

void log_loaded(std::string_view what, const rls::RlsConfigBook& book,
                const std::vector<std::string>& warnings) {
  const auto config = book.current();
  size_t rules = 0;
  for (const auto& [name, domain] : config->domains()) rules += rule_count(domain.descriptors);
  spdlog::info("{} {} domains ({} rules) of RLS configuration from {}", what,
               config->domains().size(), rules, book.path());
  for (const std::string& w : warnings) spdlog::warn("--rls-config: {}", w);
}

}  // namespace

RlsDoor::RlsDoor(const NodeOptions& options, service::CheckDecider& decider,
                 service::RequestGate* gate, const Clock& clock)
    : options_(options), decider_(decider), gate_(gate), clock_(clock) {}

std::string RlsDoor::start() {
  if (!options_.rls_config_path.empty()) {
    std::vector<std::string> warnings;
    if (auto err = book_.load(options_.rls_config_path, &warnings); !err.empty()) {
      return "cannot load --rls-config: " + err;
    }
    log_loaded("loaded", book_, warnings);
  } else {
    spdlog::warn(
        "--grpc without --rls-config: no domain is configured, every descriptor is "
        "answered OK");
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

void RlsDoor::reload() {
  if (options_.rls_config_path.empty()) return;
  std::vector<std::string> warnings;
  if (auto err = book_.reload(&warnings); !err.empty()) {
    spdlog::error("SIGHUP: refused the new RLS configuration: {}; keeping the current one", err);
    return;
  }
  log_loaded("SIGHUP: reloaded", book_, warnings);
}

void RlsDoor::stop() {
  if (server_) server_->stop();
}

}  // namespace drl::node
