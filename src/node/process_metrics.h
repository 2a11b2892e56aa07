// The process_* metrics every Prometheus client library exports (CPU, memory, descriptors,
// start time), read from /proc/self, and drl_build_info. Thread-safe (reads files only).
#pragma once
#include "service/prometheus_text.h"

namespace drl::node {

void render_process_metrics(service::PrometheusText& t);
void render_build_info(service::PrometheusText& t);

}  // namespace drl::node
