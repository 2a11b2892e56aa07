// drl: the one binary. `drl node` runs a daemon; the other subcommands are clients.
#include <cstdio>
#include <utility>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // protobuf logs one line per frame holding invalid UTF-8 in a string field: a hostile
  // client could flood stderr. Those frames are refused and counted as malformed anyway.
  google::protobuf::SetLogHandler(nullptr);
  CLI::App app{
      "drl: a distributed rate limiter. Run nodes with `drl node` or `drl cluster`; ask them "
      "with `drl check`; watch them with `drl status`; load them with `drl bench`."};
  app.set_version_flag("--version", std::string("drl ") + DRL_VERSION);
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, drl::cli::Handler>> handlers;
  auto add = [&](auto reg) {
    auto before = app.get_subcommands({}).size();
    auto handler = reg(app);
    auto subs = app.get_subcommands({});
    if (subs.size() > before) handlers.emplace_back(subs.back(), std::move(handler));
  };
  add(drl::cli::register_node);
  add(drl::cli::register_cluster);
  add(drl::cli::register_check);
  add(drl::cli::register_status);
  add(drl::cli::register_bench);
  add(drl::cli::register_test_fault);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  for (auto& [sub, handler] : handlers) {
    if (sub->parsed()) return handler();
  }
  return 2;
}
