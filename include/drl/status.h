// drl's one way to say "done, or here is why not": Status, and Result<T> (a value or a
// Status). Used by the client library's API and inside drl across layers (parsers,
// validators). Both are [[nodiscard]]: an error a caller drops is a compile warning.
//
//   drl::Result<drl::Endpoint> e = drl::parse_host_port("127.0.0.1:7000");
//   if (!e) std::cerr << e.status().message() << "\n";
//
// Values; no ownership beyond their own strings; thread-compatible (like std::string).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace drl {

// The result code of one check, or of an operation. The first values mirror the wire
// (drl.wire.Code, docs/protocol.md); the others never travel.
enum class ResultCode : uint8_t {
  kOk = 0,  // decided: see CheckResult::allowed
  kUnknownPolicy = 1,
  kInvalidLimit = 2,
  kInvalidKey = 3,
  kInvalidCost = 4,
  kMissingLimit = 5,
  kOverloaded = 6,
  kUnavailable = 7,  // also: no node could be reached, or the connection was lost
  kInternal = 8,
  kRequestError = 9,      // the node refused the whole request (message says why)
  kTimeout = 10,          // no answer within ClientOptions::request_timeout
  kInvalidArgument = 11,  // refused before anything was sent (e.g. a bad "host:port")
  // Decided by the policy's degrade mode (see CheckResult::allowed): the owner's store is full
  // and refuses to track a new key (wire MEMORY_FULL = 9, "memory full: key not tracked").
  kMemoryFull = 12,
};
const char* result_code_name(ResultCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ResultCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return {}; }

  bool is_ok() const { return code_ == ResultCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  ResultCode code() const { return code_; }
  // A sentence saying what went wrong and what to do; empty when OK.
  const std::string& message() const { return message_; }

 private:
  ResultCode code_ = ResultCode::kOk;
  std::string message_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}       // NOLINT: implicit on purpose
  Result(Status error) : status_(std::move(error)) {  // NOLINT: implicit on purpose
    if (status_.is_ok()) status_ = Status(ResultCode::kInternal, "error without a code");
  }

  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  // The error; OK when a value is held.
  const Status& status() const { return status_; }
  // The value; only when is_ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace drl
