#include "service/prometheus_text.h"

#include <cstdio>

namespace drl::service {

void PrometheusText::help(std::string_view name, std::string_view type, std::string_view text) {
  out_.append("# HELP ").append(name).append(" ").append(text).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PrometheusText::labels(Labels labels) {
  if (labels.size() == 0) return;
  out_.push_back('{');
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out_.push_back(',');
    first = false;
    out_.append(k).append("=\"");
    for (char c : v) {
      if (c == '"' || c == '\\') out_.push_back('\\');
      if (c == '\n') {
        out_.append("\\n");
        continue;
      }
      out_.push_back(c);
    }
    out_.push_back('"');
  }
  out_.push_back('}');
}

void PrometheusText::sample(std::string_view name, Labels l, uint64_t value) {
  out_.append(name);
  labels(l);
  out_.append(" ").append(std::to_string(value)).append("\n");
}

void PrometheusText::sample(std::string_view name, Labels l, double value) {
  out_.append(name);
  labels(l);
  char buf[32];
  std::snprintf(buf, sizeof buf, " %.9g\n", value);
  out_.append(buf);
}

std::string PrometheusText::seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

}  // namespace drl::service
