#include "rls/exchange.h"

#include <vector>

#include "service/all_or_nothing.h"

namespace drl::rls {
namespace {

// An exchange in flight: owns what the check path borrows (the plan's keys) until it completes.
struct Pending {
  RateLimitResponse* response = nullptr;
  RlsPlan plan;
  std::vector<service::CheckCall> calls;
  std::vector<service::CheckOutcome> shed;
  RlsExchangeDone done;
};

}  // namespace

RlsExchange::RlsExchange(RlsExchangeOptions options, RlsExchangeServices services)
    : options_(std::move(options)), services_(std::move(services)) {}

void RlsExchange::decide(const RateLimitRequest& request, int64_t deadline,
                         RateLimitResponse* response, RlsExchangeDone done) const {
  auto p = std::make_shared<Pending>();
  p->response = response;
  p->done = std::move(done);
  const auto config = services_.config ? services_.config() : nullptr;
  p->plan = plan_request(config.get(), request);
  if (!p->plan.error.empty()) {
    p->done(RlsExchangeError{true, service::CheckCode::kOk, p->plan.error});
    return;
  }
  if (p->plan.checks == 0) {
    answer(p->plan, {}, services_.clock->now(), options_.answer, *response);
    p->done(std::nullopt);
    return;
  }
  p->calls.reserve(p->plan.checks);
  for (const PlannedDescriptor& d : p->plan.descriptors) {
    if (d.kind != PlanKind::kCheck) continue;
    service::CheckCall& c = p->calls.emplace_back();
    c.key = d.key;
    c.has_inline = true;
    c.limit = d.limit;
    // A blocked descriptor refuses the request: all or nothing then only peeks.
    c.request.cost = p->plan.blocked && options_.all_or_nothing ? 0 : d.cost;
    c.request.shadow = d.shadow;
    c.deadline = deadline;
  }
  const auto finish = [this](Pending& q, std::span<const service::CheckOutcome> outcomes) {
    std::vector<limits::Decision> decisions;
    decisions.reserve(outcomes.size());
    for (const service::CheckOutcome& o : outcomes) {
      // MEMORY_FULL is decided (by the degrade rule); answer() marks it in the metadata.
      if (o.code != service::CheckCode::kOk && o.code != service::CheckCode::kMemoryFull) {
        q.done(RlsExchangeError{false, o.code, o.message});
        return;
      }
      decisions.push_back(o.decision);
    }
    answer(q.plan, decisions, services_.clock->now(), options_.answer, *q.response);
    q.done(std::nullopt);
  };
  service::RequestGate* gate = services_.gate;
  const int64_t now = services_.clock->monotonic();
  if (gate != nullptr && !gate->admit(now, now, deadline, p->calls, p->shed)) {
    finish(*p, std::span<const service::CheckOutcome>(p->shed.data(), p->calls.size()));
    return;
  }
  auto completion = [p, gate, finish](std::span<const service::CheckOutcome> outcomes) {
    if (gate != nullptr) gate->finished();
    finish(*p, outcomes);
  };
  if (options_.all_or_nothing) {
    service::decide_all_or_nothing(*services_.decider, *services_.clock, p->calls,
                                   std::move(completion));
  } else {
    services_.decider->decide(p->calls, std::move(completion));
  }
}

}  // namespace drl::rls
