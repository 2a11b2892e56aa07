// The node's RequestGate: one AdmissionController for the whole node behind a lock, the
// answers given to shed checks, and the counters of what was shed, by reason. Owned by the
// node; outlives every session. Thread-safe.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "service/admission.h"
#include "service/policy_book.h"
#include "service/request_gate.h"

namespace drl::service {

class PrometheusText;

class AdmissionGate final : public RequestGate {
 public:
  // `policies` must outlive the gate (consulted for each policy's degrade mode).
  AdmissionGate(const OverloadOptions& options, const PolicyBook& policies);

  bool admit(int64_t now, int64_t arrived, int64_t deadline, std::span<const CheckCall> calls,
             std::vector<CheckOutcome>& shed, bool superseded) override;
  void finished() override;

  // Checks shed, by reason (indexed by ShedReason).
  std::array<uint64_t, kShedReasons> shed_checks() const;
  bool overloaded() const;
  // Appends drl_shed_checks_total{reason} and drl_overloaded to a metrics page.
  void render(PrometheusText& page) const;

 private:
  void fill_shed(const Admission& verdict, std::span<const CheckCall> calls,
                 std::vector<CheckOutcome>& shed) const;

  OverloadOptions options_;
  const PolicyBook& policies_;
  mutable std::mutex mutex_;
  AdmissionController controller_;  // guarded by mutex_
  std::array<std::atomic<uint64_t>, kShedReasons> shed_{};
  std::array<std::string, kShedReasons> overloaded_message_;  // by reason; set once
};

}  // namespace drl::service
