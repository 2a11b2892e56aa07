#include "membership/suspicion.h"

#include <algorithm>
#include <cmath>

namespace drl::membership {

Suspicion::Suspicion(Incarnation incarnation, std::string first_suspecter, int expected, Nanos min,
                     Nanos max, TimePoint start)
    : incarnation_(incarnation), expected_(expected), min_(min), max_(max), start_(start) {
  suspecters_.insert(std::move(first_suspecter));
}

bool Suspicion::confirm(const std::string& from) {
  if (confirmations_ >= expected_ || !suspecters_.insert(from).second) return false;
  ++confirmations_;
  return true;
}

TimePoint Suspicion::deadline() const {
  if (expected_ <= 0) return start_ + min_;
  const double frac = std::log(confirmations_ + 1.0) / std::log(expected_ + 1.0);
  const auto timeout = static_cast<Nanos>(static_cast<double>(max_) - (max_ - min_) * frac);
  return start_ + std::max(min_, timeout);
}

}  // namespace drl::membership
