#include "cli/token_file_arg.h"

#include <cstdio>

#include "drl/client.h"

namespace drl::cli {

bool read_token_file_arg(const std::string& path, const char* command, std::string& token) {
  if (path.empty()) return true;
  auto read = read_token_file(path);
  if (!read) {
    std::fprintf(stderr, "%s: --token-file: %s\n", command, read.status().message().c_str());
    return false;
  }
  token = std::move(*read);
  return true;
}

}  // namespace drl::cli
