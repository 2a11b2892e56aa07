// drl: the one binary. `drl node` runs a daemon; the other subcommands are clients.
#include <google/protobuf/stubs/logging.h>

#include "cli/app.h"

int main(int argc, char** argv) {
  // protobuf logs one line per frame holding invalid UTF-8 in a string field: a hostile
  // client could flood stderr. Those frames are refused and counted as malformed anyway.
  google::protobuf::SetLogHandler(nullptr);
  auto drl = drl::cli::make_app();
  return drl::cli::run_app(drl, argc, argv);
}
