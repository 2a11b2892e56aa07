#include "cli/bench_rls.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>

#include "envoy/service/ratelimit/v3/rls.grpc.pb.h"

namespace drl::cli {
namespace {

using envoy::service::ratelimit::v3::RateLimitRequest;
using envoy::service::ratelimit::v3::RateLimitResponse;
using envoy::service::ratelimit::v3::RateLimitService;

// No --rls-config declares it: the node answers OK at once, deciding nothing.
constexpr char kFloorDomain[] = "drl-bench-floor-unconfigured";

// The calls in flight of one run: each slot keeps one call outstanding until `stop`.
class Loop {
 public:
  Loop(const RlsBenchConfig& config, bool floor) : config_(config), floor_(floor) {}

  RlsBenchPhase run() {
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    for (size_t c = 0; c < config_.connections; ++c) {
      const HostPort& s = config_.servers[c % config_.servers.size()];
      grpc::ChannelArguments args;
      args.SetInt("drl.bench.channel", static_cast<int>(c));  // one connection per channel
      channels.push_back(grpc::CreateCustomChannel(s.host + ":" + std::to_string(s.port),
                                                   grpc::InsecureChannelCredentials(), args));
    }
    for (size_t c = 0; c < channels.size(); ++c) {
      rls_stubs_.push_back(RateLimitService::NewStub(channels[c]));
    }
    slots_.resize(config_.connections * config_.pipeline);
    const auto start = std::chrono::steady_clock::now();
    end_ = start + config_.duration;
    active_ = slots_.size();
    for (size_t i = 0; i < slots_.size(); ++i) {
      slots_[i].channel = i % config_.connections;
      slots_[i].rng.seed(config_.seed * 7919 + i);
      issue(slots_[i]);
    }
    {
      std::unique_lock lock(mu_);
      done_.wait(lock, [&] { return active_ == 0; });
    }
    RlsBenchPhase phase;
    phase.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (Slot& s : slots_) {
      phase.calls += s.counts.calls;
      phase.ok += s.counts.ok;
      phase.over_limit += s.counts.over_limit;
      phase.errors += s.counts.errors;
      phase.latency.merge(s.counts.latency);
      if (phase.first_error.empty()) phase.first_error = s.counts.first_error;
    }
    return phase;
  }

 private:
  struct Slot {
    size_t channel = 0;
    std::mt19937_64 rng;
    std::unique_ptr<grpc::ClientContext> context;
    RateLimitRequest request;
    RateLimitResponse response;
    std::chrono::steady_clock::time_point sent;
    RlsBenchPhase counts;  // this slot's own (one callback at a time touches it)
  };

  void issue(Slot& slot) {
    slot.context = std::make_unique<grpc::ClientContext>();
    slot.context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    slot.sent = std::chrono::steady_clock::now();
    slot.request.Clear();
    slot.request.set_domain(floor_ ? kFloorDomain : config_.domain);
    auto* entry = slot.request.add_descriptors()->add_entries();
    entry->set_key(config_.descriptor_key);
    entry->set_value("bench:" + std::to_string(slot.rng() % config_.keys));
    rls_stubs_[slot.channel]->async()->ShouldRateLimit(
        slot.context.get(), &slot.request, &slot.response,
        [this, &slot](grpc::Status status) { completed(slot, status); });
  }

  void completed(Slot& slot, const grpc::Status& status) {
    const auto now = std::chrono::steady_clock::now();
    RlsBenchPhase& c = slot.counts;
    ++c.calls;
    if (!status.ok()) {
      ++c.errors;
      if (c.first_error.empty()) {
        c.first_error = std::to_string(status.error_code()) + " " + status.error_message();
      }
    } else {
      c.latency.record(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - slot.sent).count());
      if (!floor_ && slot.response.overall_code() == RateLimitResponse::OVER_LIMIT) {
        ++c.over_limit;
      } else {
        ++c.ok;
      }
    }
    if (now < end_) {
      issue(slot);
      return;
    }
    std::lock_guard lock(mu_);
    if (--active_ == 0) done_.notify_all();
  }

  const RlsBenchConfig& config_;
  const bool floor_;
  std::vector<std::unique_ptr<RateLimitService::Stub>> rls_stubs_;
  std::vector<Slot> slots_;
  std::chrono::steady_clock::time_point end_;
  std::mutex mu_;
  std::condition_variable done_;
  size_t active_ = 0;  // guarded by mu_
};

}  // namespace

RlsBenchResult run_rls_bench(const RlsBenchConfig& config) {
  RlsBenchResult result;
  if (config.floor) result.floor = Loop(config, true).run();
  result.rls = Loop(config, false).run();
  return result;
}

}  // namespace drl::cli
