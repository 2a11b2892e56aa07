// Internal to the limits layer: the singleton of each algorithm, one per file, gathered
// by algorithm_for(). Callers outside the layer use algorithm_for() or decide().
#pragma once
#include "limits/algorithm.h"

namespace drl::limits::detail {

const RateAlgorithm& token_bucket();
const RateAlgorithm& leaky_bucket();
const RateAlgorithm& fixed_window();
const RateAlgorithm& sliding_log();
const RateAlgorithm& sliding_window();

}  // namespace drl::limits::detail
