#include "rls/config_book.h"

namespace drl::rls {

std::string RlsConfigBook::load(const std::string& path, std::vector<std::string>* warnings) {
  RlsConfigLoad loaded = load_rls_config(path);
  if (!loaded.ok()) return loaded.error;
  if (warnings) *warnings = std::move(loaded.warnings);
  path_ = path;
  std::lock_guard lock(mutex_);
  current_ = std::move(loaded.config);
  return "";
}

std::string RlsConfigBook::reload(std::vector<std::string>* warnings) {
  return load(path_, warnings);
}

void RlsConfigBook::install(std::shared_ptr<const RlsConfig> config) {
  std::lock_guard lock(mutex_);
  current_ = std::move(config);
}

}  // namespace drl::rls
