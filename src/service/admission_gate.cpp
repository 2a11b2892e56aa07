#include "service/admission_gate.h"

#include <chrono>

#include "service/prometheus_text.h"

namespace drl::service {

namespace {

std::string why_shed(ShedReason reason) {
  switch (reason) {
    case ShedReason::kDeadline:
      return "its deadline passed before it could be decided";
    case ShedReason::kSuperseded:
      return "the node is overloaded and serves the newest requests of each connection first";
    default:
      return "the node is overloaded (" + std::string(shed_reason_name(reason)) + ")";
  }
}

}  // namespace

AdmissionGate::AdmissionGate(const OverloadOptions& options, const PolicyBook& policies)
    : options_(options), policies_(policies), controller_(options.admission) {
  // Built once: a flood is answered without building a sentence per shed check.
  for (size_t i = 0; i < kShedReasons; ++i) {
    overloaded_message_[i] = "not decided: " + why_shed(static_cast<ShedReason>(i)) +
                             "; retry after the given delay, or another node";
  }
}

bool AdmissionGate::admit(int64_t now, int64_t arrived, int64_t deadline,
                          std::span<const CheckCall> calls, std::vector<CheckOutcome>& shed,
                          bool superseded) {
  Admission verdict;
  {
    std::lock_guard lock(mutex_);
    verdict = controller_.admit(now, arrived, deadline, superseded);
  }
  if (!verdict.admitted) {
    shed_[static_cast<size_t>(verdict.reason)].fetch_add(calls.size(), std::memory_order_relaxed);
    fill_shed(verdict, calls, shed);
    return false;
  }
  if (options_.test_decide_delay.count() > 0) {
    // Deliberately a busy wait: it stands for CPU-heavy deciding on this I/O thread.
    const auto until = std::chrono::steady_clock::now() + options_.test_decide_delay;
    while (std::chrono::steady_clock::now() < until) {
    }
  }
  return true;
}

void AdmissionGate::finished() {
  std::lock_guard lock(mutex_);
  controller_.done();
}

void AdmissionGate::fill_shed(const Admission& verdict, std::span<const CheckCall> calls,
                              std::vector<CheckOutcome>& shed) const {
  shed.resize(calls.size());
  const auto catalog = policies_.current();
  for (size_t i = 0; i < calls.size(); ++i) {
    const auto& call = calls[i];
    auto& out = shed[i];
    out = CheckOutcome{};
    if (call.code != CheckCode::kOk) {
      out.code = call.code;
      out.message.assign(call.error);
      continue;
    }
    const limits::Policy* policy = nullptr;
    uint16_t slot = 0;
    if (!call.has_inline) policy = catalog->find(call.policy, slot);
    const auto mode = policy != nullptr ? policy->degrade : limits::DegradeMode::kLocal;
    if (mode == limits::DegradeMode::kOpen) {
      out.decision.allowed = true;
      out.degraded = true;
      continue;
    }
    if (mode == limits::DegradeMode::kClosed) {
      out.degraded = true;
      out.decision.retry_after = verdict.retry_after;
      out.message = "denied without deciding: " + why_shed(verdict.reason) + " and policy '" +
                    policy->name + "' degrades closed";
      continue;
    }
    out.code = CheckCode::kOverloaded;
    out.decision.retry_after = verdict.retry_after;
    out.message = overloaded_message_[static_cast<size_t>(verdict.reason)];
  }
}

std::array<uint64_t, kShedReasons> AdmissionGate::shed_checks() const {
  std::array<uint64_t, kShedReasons> out{};
  for (size_t i = 0; i < kShedReasons; ++i) out[i] = shed_[i].load(std::memory_order_relaxed);
  return out;
}

bool AdmissionGate::overloaded() const {
  const auto now =
      std::chrono::steady_clock::now().time_since_epoch() / std::chrono::nanoseconds(1);
  std::lock_guard lock(mutex_);
  return controller_.overloaded(now);
}

void AdmissionGate::render(PrometheusText& page) const {
  const auto shed = shed_checks();
  page.help("drl_shed_checks_total", "counter",
            "Checks answered without being decided (OVERLOADED or the policy's degrade mode), "
            "by reason.");
  for (size_t i = 0; i < kShedReasons; ++i) {
    page.sample("drl_shed_checks_total", {{"reason", shed_reason_name(static_cast<ShedReason>(i))}},
                shed[i]);
  }
  page.help("drl_overloaded", "gauge",
            "1 while a standing queue is detected and requests queued past the target are shed.");
  page.sample("drl_overloaded", {}, static_cast<uint64_t>(overloaded() ? 1 : 0));
}

}  // namespace drl::service
