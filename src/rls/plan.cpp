#include "rls/plan.h"

#include <algorithm>
#include <limits>
#include <set>

#include "rls/match.h"
#include "service/check_decider.h"

namespace drl::rls {
namespace {

constexpr uint32_t kMaxUint32 = std::numeric_limits<uint32_t>::max();
// A descriptor's counted key holds its rule's path and its values; beyond this it is refused
// (the check path refuses longer keys too).
constexpr size_t kMaxCountedKeyBytes = 4000;
constexpr size_t kMaxDescriptors = 4096;

// A length, then the bytes: fields that may hold any byte never run into each other.
void append_field(std::string& out, std::string_view field) {
  const uint32_t n = static_cast<uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xFF));
  out.append(field);
}

std::string descriptor_name(int index) { return "descriptor " + std::to_string(index); }

// Whole seconds until `reset_at`, never rounded down (Envoy reads only the seconds).
int64_t seconds_until(TimePoint reset_at, TimePoint now) {
  const Nanos left = reset_at - now;
  return left <= 0 ? 0 : (left + kSecond - 1) / kSecond;
}

// The end of the epoch-aligned window of `unit` holding `now`.
TimePoint window_end(Unit unit, TimePoint now) {
  const Nanos length = unit_length(unit);
  if (length <= 0) return now;
  const TimePoint start =
      now >= 0 ? now / length * length : -((-now + length - 1) / length) * length;
  return start + length;
}

void set_current_limit(const PlannedDescriptor& d, RateLimitResponse::DescriptorStatus& status) {
  auto* limit = status.mutable_current_limit();
  limit->set_name(d.name);
  limit->set_requests_per_unit(d.requests_per_unit);
  limit->set_unit(static_cast<RateLimitResponse::RateLimit::Unit>(d.unit));
}

void add_header(RateLimitResponse& out, const char* key, uint64_t value) {
  auto* header = out.add_response_headers_to_add();
  header->set_key(key);
  header->set_value(std::to_string(value));
}

// Memory pressure has no code in Envoy's protocol: the decisions follow the degrade rule and
// the response says, in its dynamic metadata, how many descriptors were not tracked or had
// been reset by an eviction (docs/envoy.md, "Memory pressure").
void add_memory_metadata(RateLimitResponse& out, int untracked, int reset_by_eviction) {
  if (untracked == 0 && reset_by_eviction == 0) return;
  auto& fields = *out.mutable_dynamic_metadata()->mutable_fields();
  if (untracked > 0) {
    fields["drl_memory_full"].set_string_value(service::kMemoryFullMessage);
    fields["drl_untracked_descriptors"].set_number_value(untracked);
  }
  if (reset_by_eviction > 0)
    fields["drl_reset_by_eviction_descriptors"].set_number_value(reset_by_eviction);
}

}  // namespace

RlsPlan plan_request(const RlsConfig* config, const RateLimitRequest& request) {
  RlsPlan plan;
  if (request.domain().empty()) {
    plan.error = "rate limit domain must not be empty";
    return plan;
  }
  if (request.descriptors_size() == 0) {
    plan.error = "rate limit descriptor list must not be empty";
    return plan;
  }
  if (static_cast<size_t>(request.descriptors_size()) > kMaxDescriptors) {
    plan.error = "a request may hold at most " + std::to_string(kMaxDescriptors) + " descriptors";
    return plan;
  }
  const Domain* domain = config ? config->find(request.domain()) : nullptr;
  const uint64_t request_cost = request.hits_addend() == 0 ? 1 : request.hits_addend();
  std::vector<const RateLimitRule*> rules(request.descriptors_size(), nullptr);
  std::vector<DescriptorEntry> entries;
  std::set<std::string_view> replaced;
  plan.descriptors.resize(request.descriptors_size());

  for (int i = 0; i < request.descriptors_size(); ++i) {
    const auto& descriptor = request.descriptors(i);
    PlannedDescriptor& d = plan.descriptors[i];
    if (descriptor.entries_size() == 0) {
      plan.error = descriptor_name(i) + " has no entries";
      return plan;
    }
    entries.clear();
    for (int e = 0; e < descriptor.entries_size(); ++e) {
      const auto& entry = descriptor.entries(e);
      if (entry.key().empty()) {
        plan.error = descriptor_name(i) + " entry " + std::to_string(e) + " has an empty key";
        return plan;
      }
      entries.push_back({entry.key(), entry.value()});
    }
    d.cost = descriptor.has_hits_addend() ? descriptor.hits_addend().value() : request_cost;
    if (d.cost > limits::kMaxCount) {
      plan.error = descriptor_name(i) + ": hits_addend must be at most 4294967295";
      return plan;
    }
    if (descriptor.has_limit()) {
      const auto unit = static_cast<Unit>(descriptor.limit().unit());
      if (descriptor.limit().unit() <= 0 || descriptor.limit().unit() > 6) {
        plan.error = descriptor_name(i) +
                     ": its limit override needs a unit (SECOND, MINUTE, HOUR, DAY, MONTH or YEAR)";
        return plan;
      }
      if (domain == nullptr) continue;  // an unknown domain limits nothing, overrides included
      d.requests_per_unit = descriptor.limit().requests_per_unit();
      d.unit = unit;
      d.key.push_back('o');
      append_field(d.key, request.domain());
      for (const DescriptorEntry& entry : entries) {
        append_field(d.key, entry.key);
        append_field(d.key, entry.value);
      }
    } else {
      if (domain == nullptr) continue;
      const RuleMatch match = match_descriptor(*domain, entries);
      if (match.rule == nullptr) continue;
      rules[i] = match.rule;
      for (const std::string& name : match.rule->replaces) replaced.insert(name);
      if (match.rule->unlimited) {
        d.kind = PlanKind::kUnlimited;
        continue;
      }
      d.name = match.rule->name;
      d.requests_per_unit = match.rule->requests_per_unit;
      d.unit = match.rule->unit;
      d.shadow = match.rule->shadow_mode;
      d.limit.algorithm = match.rule->algorithm;
      d.key.push_back('r');
      append_field(d.key, match.rule->path);
      for (std::string_view value : match.counted_values) append_field(d.key, value);
    }
    if (d.key.size() > kMaxCountedKeyBytes) {
      plan.error = descriptor_name(i) + " is too long (its keys and values exceed " +
                   std::to_string(kMaxCountedKeyBytes) + " bytes)";
      return plan;
    }
    d.limit.limit = d.requests_per_unit;
    d.limit.window = unit_length(d.unit);
    d.kind = d.requests_per_unit == 0 ? PlanKind::kBlocked : PlanKind::kCheck;
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    const RateLimitRule* rule = rules[i];
    if (rule != nullptr && !rule->name.empty() && replaced.count(rule->name) != 0) {
      plan.descriptors[i] = PlannedDescriptor{};
      plan.descriptors[i].kind = PlanKind::kNoRule;
    }
  }
  for (PlannedDescriptor& d : plan.descriptors) {
    if (d.kind == PlanKind::kBlocked && d.cost > 0 && !d.shadow) plan.blocked = true;
    if (d.kind == PlanKind::kCheck) {
      ++plan.checks;
    } else {
      d.key.clear();
    }
  }
  return plan;
}

void answer(const RlsPlan& plan, std::span<const limits::Decision> decisions, TimePoint now,
            const RlsAnswerOptions& options, RateLimitResponse& out) {
  out.Clear();
  bool over = false;
  size_t next = 0;
  int closest = -1;  // the status closest to its limit, for the RateLimit headers
  uint32_t closest_remaining = kMaxUint32;
  int untracked = 0;
  int reset_by_eviction = 0;
  for (const PlannedDescriptor& d : plan.descriptors) {
    auto& status = *out.add_statuses();
    status.set_code(RateLimitResponse::OK);
    switch (d.kind) {
      case PlanKind::kNoRule:
        break;
      case PlanKind::kUnlimited:
        status.set_limit_remaining(kMaxUint32);
        break;
      case PlanKind::kBlocked:
        set_current_limit(d, status);
        if (d.cost > 0 && !d.shadow) status.set_code(RateLimitResponse::OVER_LIMIT);
        status.mutable_duration_until_reset()->set_seconds(
            seconds_until(window_end(d.unit, now), now));
        break;
      case PlanKind::kCheck: {
        set_current_limit(d, status);
        const limits::Decision& decision =
            next < decisions.size() ? decisions[next] : limits::Decision{};
        ++next;
        untracked += decision.untracked ? 1 : 0;
        reset_by_eviction += decision.reset_by_eviction ? 1 : 0;
        if (decision.allowed && !decision.shadow_denied) {
          status.set_limit_remaining(
              static_cast<uint32_t>(std::min<uint64_t>(decision.remaining, kMaxUint32)));
        } else if (!decision.allowed && !d.shadow) {
          status.set_code(RateLimitResponse::OVER_LIMIT);
        }
        const TimePoint reset_at = d.limit.algorithm == limits::Algorithm::kFixedWindow
                                       ? window_end(d.unit, now)
                                       : decision.reset_at;
        status.mutable_duration_until_reset()->set_seconds(seconds_until(reset_at, now));
        break;
      }
    }
    const int index = out.statuses_size() - 1;
    if (status.code() == RateLimitResponse::OVER_LIMIT) {
      over = true;
      closest = index;
      closest_remaining = 0;
    } else if (status.has_current_limit() && status.limit_remaining() < closest_remaining) {
      closest = index;
      closest_remaining = status.limit_remaining();
    }
  }
  out.set_overall_code(over ? RateLimitResponse::OVER_LIMIT : RateLimitResponse::OK);
  add_memory_metadata(out, untracked, reset_by_eviction);
  if (options.response_headers && closest >= 0) {
    const auto& status = out.statuses(closest);
    add_header(out, "RateLimit-Limit", status.current_limit().requests_per_unit());
    add_header(out, "RateLimit-Remaining", status.limit_remaining());
    add_header(out, "RateLimit-Reset",
               static_cast<uint64_t>(status.duration_until_reset().seconds()));
  }
}

}  // namespace drl::rls
