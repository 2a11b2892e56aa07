// The address every drl subcommand uses by default. Thread-safe.
#pragma once
#include <cstdint>
#include <string>

namespace drl::cli {

// The port every subcommand uses by default: `drl node` listens on 127.0.0.1:7000, `drl cluster`
// starts there, and `drl check`/`status`/`bench`/`policy` ask there.
inline constexpr uint16_t kDefaultPort = 7000;
inline const std::string kDefaultAddress = "127.0.0.1:" + std::to_string(kDefaultPort);

}  // namespace drl::cli
