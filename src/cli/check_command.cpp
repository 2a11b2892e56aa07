// `drl check`: not built yet; registered so that --help lists it.
#include <cstdio>

#include "cli/commands.h"

namespace drl::cli {

Handler register_check(CLI::App& app) {
  app.add_subcommand("check", "(not available yet in this version)");
  return [] {
    std::fprintf(stderr, "drl check: not available yet in this version\n");
    return 2;
  };
}

}  // namespace drl::cli
