#include "service/policy_book.h"

#include <algorithm>

namespace drl::service {

PolicyCatalog::PolicyCatalog(limits::PolicySet set, DecisionMetrics& metrics, uint64_t hash,
                             uint64_t version, std::string origin)
    : set_(std::move(set)), hash_(hash), version_(version), origin_(std::move(origin)) {
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

std::string PolicyBook::load(const std::string& path, std::string* text) {
  auto loaded = limits::load_policy_file(path, text);
  if (!loaded.ok()) return loaded.error;
  path_ = path;
  install(std::move(*loaded.policies), loaded.content_hash, 0, {});
  return "";
}

void PolicyBook::install(limits::PolicySet set, uint64_t hash, uint64_t version,
                         std::string origin) {
  auto next = std::make_shared<const PolicyCatalog>(std::move(set), metrics_, hash, version,
                                                    std::move(origin));
  std::lock_guard lock(mutex_);
  current_ = std::move(next);
}

}  // namespace drl::service
