// Lifeguard's dynamic suspicion timer: starts at `max` and shrinks towards `min`
// logarithmically as independent members confirm the suspicion. Value type owned by Swim.
#pragma once
#include <set>
#include <string>

#include "common/time.h"
#include "membership/member.h"

namespace drl::membership {

class Suspicion {
 public:
  // `expected` confirmations bring the timeout down to `min`; 0 means start at `min`.
  Suspicion(Incarnation incarnation, std::string first_suspecter, int expected, Nanos min,
            Nanos max, TimePoint start);
  // Returns true if `from` is a new, independent confirmation.
  bool confirm(const std::string& from);
  TimePoint deadline() const;
  Incarnation incarnation() const { return incarnation_; }
  int confirmations() const { return confirmations_; }

 private:
  Incarnation incarnation_;
  std::set<std::string> suspecters_;
  int expected_;
  int confirmations_ = 0;
  Nanos min_;
  Nanos max_;
  TimePoint start_;
};

}  // namespace drl::membership
