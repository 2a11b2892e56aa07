// The `drl` command line: every subcommand registered on one CLI::App, with the rules that
// hold for all of them (an unsigned number given negative is refused as negative). main()
// parses with it; tests parse the help examples with it. Not thread-safe; one per parse.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"

namespace drl::cli {

struct DrlApp {
  std::unique_ptr<CLI::App> app;
  std::vector<std::pair<CLI::App*, Handler>> handlers;  // run the one whose subcommand parsed
};

DrlApp make_app();

// Parses argv and runs the chosen subcommand; returns the process exit code. Plain `drl`
// prints the help (exit 0).
int run_app(DrlApp& drl, int argc, char** argv);

// The example command lines in a help text: lines that begin with "drl " (after indentation
// and an "Examples:" or "Then:" label), joined across trailing backslashes, with a trailing
// "# comment" dropped, split into words as sh would (single and double quotes).
std::vector<std::vector<std::string>> help_examples(const std::string& help);

}  // namespace drl::cli
