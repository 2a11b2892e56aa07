// nodes.json, the file `drl cluster` writes for scripts: reading it back.
#pragma once
#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace drl::cli {

// Every "pid" value in the nodes.json at `path` (empty when it cannot be read). Scripts
// that restart a node rewrite its pid there, so the cluster can stop it on exit.
std::vector<pid_t> read_pids(const std::string& path);

}  // namespace drl::cli
