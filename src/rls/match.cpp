#include "rls/match.h"

namespace drl::rls {
namespace {

// The node `entry` lands on among `level` (exact value, then the first matching wildcard, then
// the bare key), or null.
const DescriptorNode* find_node(const std::vector<DescriptorNode>& level,
                                const DescriptorEntry& entry) {
  for (const DescriptorNode& node : level) {
    if (node.value_parts.empty() && !node.value.empty() && node.key == entry.key &&
        node.value == entry.value) {
      return &node;
    }
  }
  for (const DescriptorNode& node : level) {
    if (!node.value_parts.empty() && node.key == entry.key &&
        wildcard_matches(node.value_parts, entry.value)) {
      return &node;
    }
  }
  for (const DescriptorNode& node : level) {
    if (node.value.empty() && node.key == entry.key) return &node;
  }
  return nullptr;
}

}  // namespace

bool wildcard_matches(std::span<const std::string> parts, std::string_view value) {
  if (parts.empty()) return false;
  if (parts.size() == 1) return parts[0] == value;
  const std::string& first = parts.front();
  const std::string& last = parts.back();
  if (value.size() < first.size() + last.size()) return false;
  if (value.substr(0, first.size()) != first) return false;
  if (value.substr(value.size() - last.size()) != last) return false;
  std::string_view middle = value.substr(first.size(), value.size() - first.size() - last.size());
  for (size_t i = 1; i + 1 < parts.size(); ++i) {
    const size_t at = middle.find(parts[i]);
    if (at == std::string_view::npos) return false;
    middle.remove_prefix(at + parts[i].size());
  }
  return true;
}

RuleMatch match_descriptor(const Domain& domain, std::span<const DescriptorEntry> entries) {
  RuleMatch match;
  const std::vector<DescriptorNode>* level = &domain.descriptors;
  match.counted_values.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const DescriptorNode* node = find_node(*level, entries[i]);
    if (node == nullptr) break;
    match.counted_values.push_back(node->share_threshold ? std::string_view(node->value)
                                                         : entries[i].value);
    if (i + 1 == entries.size() && node->rate_limit) match.rule = &*node->rate_limit;
    if (node->children.empty()) break;
    level = &node->children;
  }
  if (match.rule == nullptr) match.counted_values.clear();
  return match;
}

}  // namespace drl::rls
