// read_token_file (include/drl/client.h): a client token from a file.
#include <fstream>
#include <sstream>

#include "common/config_lines.h"
#include "drl/client.h"

namespace drl {

Result<std::string> read_token_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status(ResultCode::kInvalidArgument, "cannot read " + path);
  std::stringstream contents;
  contents << f.rdbuf();
  std::string token;
  config_lines::for_each(contents.str(), [&](size_t, std::string_view line) -> std::string {
    token = std::string(config_lines::fields(line).back());
    return "stop";
  });
  if (token.empty()) return Status(ResultCode::kInvalidArgument, path + " holds no token");
  return token;
}

}  // namespace drl
