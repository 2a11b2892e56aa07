#include "service/policy_book.h"

#include <algorithm>

namespace drl::service {

PolicyCatalog::PolicyCatalog(limits::PolicySet set, DecisionMetrics& metrics)
    : set_(std::move(set)) {
  for (const auto& p : set_.all()) slots_.push_back(metrics.slot_for(p.name));
}

const limits::Policy* PolicyCatalog::find(std::string_view name, uint16_t& slot) const {
  const limits::Policy* p = set_.find(name);
  if (p != nullptr) slot = slots_[static_cast<size_t>(p - set_.all().data())];
  return p;
}

std::vector<std::string> PolicyCatalog::names() const {
  std::vector<std::string> out;
  for (const auto& p : set_.all()) out.push_back(p.name);
  return out;
}

PolicyBook::PolicyBook(DecisionMetrics& metrics)
    : metrics_(metrics), current_(std::make_shared<const PolicyCatalog>()) {}

std::string PolicyBook::load(const std::string& path) {
  auto loaded = limits::load_policy_file(path);
  if (!loaded.ok()) return loaded.error;
  path_ = path;
  auto next = std::make_shared<const PolicyCatalog>(std::move(*loaded.policies), metrics_);
  std::lock_guard lock(mutex_);
  current_ = std::move(next);
  return "";
}

std::string PolicyBook::reload() { return load(path_); }

}  // namespace drl::service
