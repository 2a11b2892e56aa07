#include "cli/bench_keys.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "common/wire_format.h"

namespace drl::cli {

std::string parse_key_distribution(const std::string& text, KeyDistribution& out) {
  if (text == "uniform") {
    out = KeyDistribution{};
    return "";
  }
  if (text == "sequential") {
    out = KeyDistribution{.kind = KeyDistribution::Kind::kSequential,
                          .cursor = std::make_shared<std::atomic<uint64_t>>(0)};
    return "";
  }
  constexpr const char* kPrefix = "zipf:";
  if (text.rfind(kPrefix, 0) == 0) {
    const std::string number = text.substr(5);
    char* end = nullptr;
    const double s = std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() || !(s > 0) || s > 10) {
      return "'" + text + "': the Zipf exponent must be a number in (0, 10], e.g. zipf:1.1";
    }
    out = KeyDistribution{.kind = KeyDistribution::Kind::kZipf, .exponent = s};
    return "";
  }
  return "'" + text + "' is not 'uniform', 'zipf:S' (e.g. zipf:0.99) or 'sequential'";
}

std::string key_distribution_name(const KeyDistribution& d) {
  if (d.kind == KeyDistribution::Kind::kUniform) return "uniform";
  if (d.kind == KeyDistribution::Kind::kSequential) return "sequential";
  char buf[32];
  std::snprintf(buf, sizeof buf, "zipf:%g", d.exponent);
  return buf;
}

namespace {

// (exp(x) - 1) / x and log(1 + x) / x, exact near 0 where the plain formulas lose digits.
double expm1_over_x(double x) {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1 + x / 2 * (1 + x / 3);
}
double log1p_over_x(double x) {
  return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1 - x * (0.5 - x / 3);
}

}  // namespace

KeyPicker::KeyPicker(uint64_t keys, const KeyDistribution& distribution, uint64_t seed)
    : keys_(std::max<uint64_t>(keys, 1)), distribution_(distribution), random_(seed) {
  if (distribution_.kind == KeyDistribution::Kind::kSequential && !distribution_.cursor) {
    distribution_.cursor = std::make_shared<std::atomic<uint64_t>>(0);  // a cursor of its own
  }
  if (distribution_.kind == KeyDistribution::Kind::kZipf) {
    h_integral_x1_ = h_integral(1.5) - 1;
    h_integral_n_ = h_integral(static_cast<double>(keys_) + 0.5);
    squeeze_ = 2 - h_integral_inverse(h_integral(2.5) - h(2));
  }
}

double KeyPicker::h(double x) const { return std::exp(-distribution_.exponent * std::log(x)); }

// (x^(1-s) - 1) / (1 - s), and log(x) when s = 1.
double KeyPicker::h_integral(double x) const {
  const double log_x = std::log(x);
  return expm1_over_x((1 - distribution_.exponent) * log_x) * log_x;
}

double KeyPicker::h_integral_inverse(double x) const {
  double t = x * (1 - distribution_.exponent);
  if (t < -1) t = -1;  // rounding at the far end of the range
  return std::exp(log1p_over_x(t) * x);
}

uint64_t KeyPicker::next() {
  if (distribution_.kind == KeyDistribution::Kind::kUniform) return random_.below(keys_);
  if (distribution_.kind == KeyDistribution::Kind::kSequential) {
    return distribution_.cursor->fetch_add(1, std::memory_order_relaxed) % keys_;
  }
  const double n = static_cast<double>(keys_);
  while (true) {
    const double u = h_integral_n_ + random_.unit() * (h_integral_x1_ - h_integral_n_);
    const double x = h_integral_inverse(u);
    double k = std::floor(x + 0.5);
    if (k < 1) k = 1;
    if (k > n) k = n;
    // Accept at once inside the squeeze, else when u falls under the step of rank k.
    if (k - x <= squeeze_ || u >= h_integral(k + 0.5) - h(k)) {
      return static_cast<uint64_t>(k) - 1;
    }
  }
}

DistinctKeys::DistinctKeys(uint64_t keys)
    : exact_(keys <= kExactKeys),
      bits_(exact_ ? std::max<uint64_t>((keys + 63) / 64 * 64, 64) : kExactKeys),
      words_(new std::atomic<uint64_t>[bits_ / 64]) {
  for (uint64_t i = 0; i < bits_ / 64; ++i) words_[i].store(0, std::memory_order_relaxed);
}

uint64_t DistinctKeys::slot_of(uint64_t index) const {
  uint64_t z = index + 0x9e3779b97f4a7c15ULL;  // SplitMix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (z ^ (z >> 31)) & (bits_ - 1);
}

uint64_t DistinctKeys::count() const {
  uint64_t set = 0;
  for (uint64_t i = 0; i < bits_ / 64; ++i) {
    set += static_cast<uint64_t>(std::popcount(words_[i].load(std::memory_order_relaxed)));
  }
  if (exact_) return set;
  const double m = static_cast<double>(bits_);
  const double zeros = std::max(m - static_cast<double>(set), 1.0);  // saturated: a floor
  return static_cast<uint64_t>(std::llround(m * std::log(m / zeros)));
}

namespace {

size_t index_width(uint64_t keys) {
  size_t width = 1;
  for (uint64_t top = std::max<uint64_t>(keys, 1) - 1; top >= 10; top /= 10) ++width;
  return width;
}

constexpr const char* kKeyPrefix = "bench:";

}  // namespace

std::string bench_key(uint64_t index, uint64_t keys) {
  std::string digits = std::to_string(index);
  const size_t width = index_width(keys);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return kKeyPrefix + digits;
}

CheckBodyTemplate::CheckBodyTemplate(const wire::Check& check, size_t batch, uint64_t keys)
    : width_(index_width(keys)) {
  wire::CheckRequest request;
  const std::string placeholder = bench_key(0, keys);
  for (size_t i = 0; i < batch; ++i) {
    auto* c = request.add_checks();
    *c = check;
    c->set_key(placeholder);
  }
  body_ = request.SerializeAsString();
  // Each check's key field as protobuf writes it: tag, length, bytes. Tag and length make a
  // match inside another field's bytes impossible for any template drl bench builds.
  std::string field;
  protowire::append_tag(field, wire::Check::kKeyFieldNumber, protowire::kLength);
  protowire::append_varint(field, placeholder.size());
  field += placeholder;
  size_t from = 0;
  for (size_t i = 0; i < batch; ++i) {
    const size_t at = body_.find(field, from);
    if (at == std::string::npos) throw std::logic_error("bench: a check's key was not found");
    digit_offsets_.push_back(at + field.size() - width_);
    from = at + field.size();
  }
}

const std::string& CheckBodyTemplate::next(KeyPicker& picker, DistinctKeys& distinct) {
  for (const size_t offset : digit_offsets_) {
    uint64_t index = picker.next();
    distinct.mark(index);
    for (size_t d = width_; d-- > 0;) {
      body_[offset + d] = static_cast<char>('0' + index % 10);
      index /= 10;
    }
  }
  return body_;
}

}  // namespace drl::cli
