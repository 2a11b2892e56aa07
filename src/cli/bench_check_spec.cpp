#include "cli/bench_check_spec.h"

#include <chrono>

namespace drl::cli {

CheckSpec check_spec_from(const wire::Check& t) {
  CheckSpec s;
  s.cost = t.has_cost() ? t.cost() : 1;
  if (t.has_limit()) {
    s.limit = InlineLimit{static_cast<Algorithm>(t.limit().algorithm()), t.limit().limit(),
                          std::chrono::milliseconds(t.limit().window_ms()), t.limit().burst()};
  } else {
    s.policy = t.policy();
  }
  return s;
}

}  // namespace drl::cli
