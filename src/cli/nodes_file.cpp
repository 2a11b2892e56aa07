#include "cli/nodes_file.h"

#include <fstream>
#include <sstream>

namespace drl::cli {

std::vector<pid_t> read_pids(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  std::vector<pid_t> pids;
  const std::string tag = "\"pid\":";
  for (size_t at = text.find(tag); at != std::string::npos; at = text.find(tag, at + 1)) {
    size_t i = at + tag.size();
    while (i < text.size() && text[i] == ' ') ++i;
    long v = 0;
    bool any = false;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      v = v * 10 + (text[i++] - '0');
      any = true;
    }
    if (any && v > 1) pids.push_back(static_cast<pid_t>(v));
  }
  return pids;
}

}  // namespace drl::cli
