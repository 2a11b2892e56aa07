// Each `drl` subcommand lives in its own file and registers itself on the app here.
// A registration returns the handler that runs when its subcommand was chosen; the
// handler's return value is the process exit code.
#pragma once
#include <functional>

#include <CLI/CLI.hpp>

namespace drl::cli {

using Handler = std::function<int()>;

Handler register_node(CLI::App& app);
Handler register_cluster(CLI::App& app);
Handler register_check(CLI::App& app);
Handler register_status(CLI::App& app);
Handler register_policy(CLI::App& app);
Handler register_bench(CLI::App& app);
Handler register_test_fault(CLI::App& app);  // test only

}  // namespace drl::cli
