// Oracle checks for the fuzz targets. A failed check prints what broke and aborts, which
// libFuzzer reports as a crash (and saves the input) and which fails the CTest replay of the
// corpus in the regular builds. Header-only so each target stays one translation unit.
#pragma once
#include <google/protobuf/stubs/logging.h>

#include <cstdio>
#include <cstdlib>

#define DRL_FUZZ_CHECK(cond)                                                              \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: fuzz oracle failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace drl::fuzz {

// protobuf logs one line per string field with invalid UTF-8; at thousands of inputs a second
// that drowns the fuzzer's own output. Call at the top of a target; the first call wins.
inline void quiet_protobuf() {
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
}

}  // namespace drl::fuzz
