// The process_* metrics every Prometheus client library exports (CPU, memory, descriptors,
// start time), read from /proc/self, and drl_build_info. Thread-safe (reads files only).
#pragma once
#include "node/prometheus_text.h"

namespace drl::node {

void render_process_metrics(PrometheusText& t);
void render_build_info(PrometheusText& t);

}  // namespace drl::node
