// --token-file of the subcommands that talk to a node (check, status, policy, bench).
#pragma once
#include <string>

namespace drl::cli {

// Reads the token of --token-file `path` into `token` (nothing when `path` is empty). On an
// error prints "COMMAND: --token-file: WHY" to stderr and returns false.
bool read_token_file_arg(const std::string& path, const char* command, std::string& token);

}  // namespace drl::cli
