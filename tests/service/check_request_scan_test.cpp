// The native door's check-request scanner against the generated parser: whatever the scanner
// accepts, protobuf parses to the same request and decode_check() to the same calls; what it
// does not read exactly it declines (and the door parses the frame with protobuf).
#include "service/check_request_scan.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "drl/client.pb.h"
#include "service/wire_convert.h"

namespace drl::service {
namespace {

// The door's other path: the generated parser, then decode_check() per check.
struct Parsed {
  bool ok = false;
  bool is_check = false;
  wire::Request request;
  std::vector<CheckCall> calls;
};

Parsed parse(const std::string& bytes) {
  Parsed p;
  p.ok = p.request.ParseFromString(bytes);
  p.is_check = p.ok && p.request.body_case() == wire::Request::kCheck;
  if (p.is_check) {
    const auto& checks = p.request.check().checks();
    p.calls.resize(checks.size());
    for (int i = 0; i < checks.size(); ++i) decode_check(checks[i], p.calls[i]);
  }
  return p;
}

void expect_same_call(const CheckCall& a, const CheckCall& b, const std::string& where) {
  EXPECT_EQ(a.key, b.key) << where;
  EXPECT_EQ(a.policy, b.policy) << where;
  EXPECT_EQ(a.has_inline, b.has_inline) << where;
  EXPECT_EQ(a.limit.algorithm, b.limit.algorithm) << where;
  EXPECT_EQ(a.limit.limit, b.limit.limit) << where;
  EXPECT_EQ(a.limit.window, b.limit.window) << where;
  EXPECT_EQ(a.limit.burst, b.limit.burst) << where;
  EXPECT_EQ(a.limit.calendar, b.limit.calendar) << where;
  EXPECT_EQ(a.request.cost, b.request.cost) << where;
  EXPECT_EQ(a.request.reset, b.request.reset) << where;
  EXPECT_EQ(a.request.refund, b.request.refund) << where;
  EXPECT_EQ(a.request.drain_on_deny, b.request.drain_on_deny) << where;
  EXPECT_EQ(a.request.shadow, b.request.shadow) << where;
  EXPECT_EQ(a.code, b.code) << where;
  EXPECT_EQ(a.error, b.error) << where;
}

// When the scanner accepts `bytes`, protobuf must read the same request; returns whether it
// accepted.
bool agrees(const std::string& bytes, const std::string& where) {
  ScannedCheckRequest s;
  std::vector<CheckCall> calls;
  if (!scan_check_request(bytes, s, calls)) return false;
  const Parsed p = parse(bytes);
  EXPECT_TRUE(p.ok) << where << ": the scanner accepted what protobuf refuses";
  EXPECT_TRUE(p.is_check) << where;
  if (!p.is_check) return true;
  EXPECT_EQ(s.id, p.request.id()) << where;
  EXPECT_EQ(s.timeout_ms, p.request.timeout_ms()) << where;
  EXPECT_EQ(s.auth_token, p.request.auth_token()) << where;
  EXPECT_EQ(s.all_or_nothing, p.request.check().all_or_nothing()) << where;
  EXPECT_EQ(s.checks, p.calls.size()) << where;
  EXPECT_EQ(calls.size(), p.calls.size()) << where;
  for (size_t i = 0; i < std::min(calls.size(), p.calls.size()); ++i) {
    expect_same_call(calls[i], p.calls[i], where + ", check " + std::to_string(i));
  }
  return true;
}

std::string random_ascii(std::mt19937_64& rng, size_t max) {
  std::string s(rng() % (max + 1), 'a');
  for (char& c : s) c = static_cast<char>(' ' + rng() % 95);
  return s;
}

uint64_t random_varint_value(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return rng() % 3;
    case 1:
      return rng() % 1000;
    case 2:
      return rng() % (uint64_t{1} << 40);
    default:
      return rng();
  }
}

// A request as clients write it (the generated serializer), with every field possibly set.
wire::Request random_request(std::mt19937_64& rng) {
  wire::Request r;
  if (rng() % 2) r.set_id(random_varint_value(rng));
  if (rng() % 3 == 0) r.set_timeout_ms(static_cast<uint32_t>(rng()));
  if (rng() % 4 == 0) r.set_auth_token(random_ascii(rng, 12));
  auto* check = r.mutable_check();
  if (rng() % 3 == 0) check->set_all_or_nothing(rng() % 2);
  const int n = static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) {
    auto* c = check->add_checks();
    std::string key = random_ascii(rng, 20);
    if (rng() % 5 == 0) key += static_cast<char>(0xff);  // bytes: any
    c->set_key(key);
    if (rng() % 2) c->set_cost(random_varint_value(rng));
    switch (rng() % 3) {
      case 0:
        c->set_policy(random_ascii(rng, 10));
        break;
      case 1: {
        auto* l = c->mutable_limit();
        l->set_algorithm(static_cast<wire::Algorithm>(rng() % 7));
        l->set_limit(random_varint_value(rng));
        l->set_window_ms(random_varint_value(rng));
        if (rng() % 2) l->set_burst(random_varint_value(rng));
        if (rng() % 3 == 0) l->set_calendar(static_cast<wire::Calendar>(rng() % 6));
        break;
      }
      default:
        break;  // neither: MISSING_LIMIT
    }
    c->set_reset(rng() % 4 == 0);
    c->set_refund(rng() % 4 == 0);
    c->set_drain_on_deny(rng() % 4 == 0);
    c->set_shadow(rng() % 4 == 0);
  }
  return r;
}

TEST(CheckRequestScan, ReadsWhatClientsWriteExactlyAsProtobufDoes) {
  std::mt19937_64 rng(20);
  int accepted = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::string bytes = random_request(rng).SerializeAsString();
    ASSERT_TRUE(agrees(bytes, "request " + std::to_string(i)))
        << "the canonical encoding of a check request must be read by the scanner";
    ++accepted;
  }
  EXPECT_EQ(accepted, 5000);
}

TEST(CheckRequestScan, WhatItAcceptsAfterAnyMutationProtobufReadsTheSame) {
  std::mt19937_64 rng(2026);
  int accepted = 0, declined = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = random_request(rng).SerializeAsString();
    if (bytes.empty()) continue;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      const size_t at = rng() % bytes.size();
      switch (rng() % 4) {
        case 0:
          bytes[at] = static_cast<char>(rng());
          break;
        case 1:
          bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8)));
          break;
        case 2:
          bytes.erase(at, 1);
          break;
        default:
          bytes.insert(at, 1, static_cast<char>(rng()));
          break;
      }
    }
    if (agrees(bytes, "mutation " + std::to_string(i))) {
      ++accepted;
    } else {
      ++declined;
    }
  }
  // Both branches were exercised.
  EXPECT_GT(accepted, 100);
  EXPECT_GT(declined, 100);
}

TEST(CheckRequestScan, DeclinesWhatItDoesNotReadExactly) {
  ScannedCheckRequest s;
  std::vector<CheckCall> calls;
  auto declines = [&](const std::string& bytes) { return !scan_check_request(bytes, s, calls); };
  wire::Request base;
  base.set_id(7);
  auto* c = base.mutable_check()->add_checks();
  c->set_key("k");
  c->set_policy("p");
  const std::string ok = base.SerializeAsString();
  ASSERT_FALSE(declines(ok));
  EXPECT_EQ(s.id, 7u);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].key, "k");
  EXPECT_EQ(calls[0].policy, "p");
  EXPECT_EQ(calls[0].request.cost, 1u) << "an absent cost is 1";

  // A field given twice (protobuf keeps the last id): declined.
  EXPECT_TRUE(declines(ok + std::string("\x08\x09", 2)));
  // An unknown field (protobuf skips it): declined.
  EXPECT_TRUE(declines(ok + std::string("\x78\x01", 2)));
  // Another kind of request.
  wire::Request status;
  status.set_id(1);
  status.mutable_status();
  EXPECT_TRUE(declines(status.SerializeAsString()));
  EXPECT_TRUE(declines(""));
  // A policy name that is not ASCII (protobuf checks UTF-8): declined.
  wire::Request utf8 = base;
  utf8.mutable_check()->mutable_checks(0)->set_policy("caf\xc3\xa9");
  EXPECT_TRUE(declines(utf8.SerializeAsString()));
  // Both a policy and a limit in one check (protobuf keeps the last of the oneof): declined.
  wire::Check two;
  two.set_key("k");
  two.set_policy("p");
  std::string check_bytes = two.SerializeAsString();
  wire::InlineLimit l;
  l.set_limit(3);
  const std::string lb = l.SerializeAsString();
  check_bytes += std::string("\x22", 1) + static_cast<char>(lb.size()) + lb;  // Check.limit
  const std::string body =
      std::string("\x0a", 1) + static_cast<char>(check_bytes.size()) + check_bytes;
  const std::string request = std::string("\x12", 1) + static_cast<char>(body.size()) + body;
  EXPECT_TRUE(declines(request));
  const Parsed both = parse(request);
  ASSERT_TRUE(both.is_check) << "protobuf reads it: the door still answers it";
  EXPECT_TRUE(both.calls[0].has_inline) << "the last of the oneof wins";
  // More than kMaxChecksPerRequest checks: declined (the generated path says TOO_MANY_CHECKS).
  wire::Request many;
  for (size_t i = 0; i <= kMaxChecksPerRequest; ++i) {
    auto* m = many.mutable_check()->add_checks();
    m->set_key("k");
    m->set_policy("p");
  }
  EXPECT_TRUE(declines(many.SerializeAsString()));
  // A timeout beyond uint32 (protobuf truncates it): declined.
  EXPECT_TRUE(declines(ok + std::string("\x20\xff\xff\xff\xff\x1f", 6)));
}

TEST(CheckRequestScan, AnEmptyCheckRequestIsReadAsOneWithNoChecks) {
  wire::Request r;
  r.set_id(3);
  r.mutable_check();
  ScannedCheckRequest s;
  std::vector<CheckCall> calls;
  ASSERT_TRUE(scan_check_request(r.SerializeAsString(), s, calls));
  EXPECT_EQ(s.checks, 0u);
  EXPECT_TRUE(calls.empty());
}

}  // namespace
}  // namespace drl::service
