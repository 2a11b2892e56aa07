// `drl bench`: not built yet; registered so that --help lists it.
#include <cstdio>

#include "cli/commands.h"

namespace drl::cli {

Handler register_bench(CLI::App& app) {
  app.add_subcommand("bench", "(not available yet in this version)");
  return [] {
    std::fprintf(stderr, "drl bench: not available yet in this version\n");
    return 2;
  };
}

}  // namespace drl::cli
