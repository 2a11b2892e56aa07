// Builds a page of the Prometheus text exposition format (version 0.0.4). Not thread-safe;
// one per scrape.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace drl::service {

class PrometheusText {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;
  void help(std::string_view name, std::string_view type, std::string_view text);
  void sample(std::string_view name, Labels labels, uint64_t value);
  void sample(std::string_view name, Labels labels, double value);
  const std::string& str() const { return out_; }
  static std::string seconds(double s);

 private:
  void labels(Labels labels);
  std::string out_;
};

}  // namespace drl::service
