#include "cli/app.h"

#include <cstdio>

namespace drl::cli {
namespace {

// CLI11 reads "-5" into an unsigned option as 2^64 - 5; refuse it as what it is.
const CLI::Validator kNotNegative(
    [](std::string& value) -> std::string {
      if (!value.empty() && value[0] == '-') return "must not be negative (got " + value + ")";
      return "";
    },
    "", "not negative");

void refuse_negative_unsigned(CLI::App& app) {
  for (auto* opt : app.get_options()) {
    if (opt->get_type_name().rfind("UINT", 0) == 0) opt->check(kNotNegative);
  }
  for (auto* sub : app.get_subcommands({})) refuse_negative_unsigned(*sub);
}

Handler register_version(CLI::App& app) {
  app.add_subcommand("version", "Print drl's version.");
  return [] {
    std::printf("drl %s\n", DRL_VERSION);
    return 0;
  };
}

std::vector<std::string> shell_words(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : line) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        word.push_back(c);
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else if (c == '#' && !in_word) {
      break;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

}  // namespace

DrlApp make_app() {
  DrlApp drl;
  drl.app = std::make_unique<CLI::App>(
      "drl: a distributed rate limiter. Run nodes with `drl node` or `drl cluster`; ask them "
      "with `drl check`; watch them with `drl status`; push one policy set to all with `drl "
      "policy`; load them with `drl bench`.");
  auto& app = *drl.app;
  app.set_version_flag("--version", std::string("drl ") + DRL_VERSION);
  app.require_subcommand(0, 1);
  auto add = [&](auto reg) {
    auto before = app.get_subcommands({}).size();
    auto handler = reg(app);
    auto subs = app.get_subcommands({});
    if (subs.size() > before) drl.handlers.emplace_back(subs.back(), std::move(handler));
  };
  add(register_node);
  add(register_cluster);
  add(register_check);
  add(register_status);
  add(register_policy);
  add(register_bench);
  add(register_version);
  add(register_test_fault);
  refuse_negative_unsigned(app);
  return drl;
}

int run_app(DrlApp& drl, int argc, char** argv) {
  try {
    drl.app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return drl.app->exit(e) == 0 ? 0 : 2;
  }
  for (auto& [sub, handler] : drl.handlers) {
    if (sub->parsed()) return handler();
  }
  std::fputs(drl.app->help().c_str(), stdout);
  return 0;
}

std::vector<std::vector<std::string>> help_examples(const std::string& help) {
  std::vector<std::vector<std::string>> out;
  std::string pending;
  size_t at = 0;
  while (at < help.size()) {
    const size_t end = std::min(help.find('\n', at), help.size());
    std::string line = help.substr(at, end - at);
    at = end + 1;
    if (pending.empty()) {
      const size_t first = line.find_first_not_of(" \t");
      if (first == std::string::npos) continue;
      line = line.substr(first);
      for (const char* label : {"Examples:", "Then:"}) {
        if (line.rfind(label, 0) == 0) line = line.substr(std::string(label).size());
      }
      const size_t text = line.find_first_not_of(" \t");
      if (text == std::string::npos || line.compare(text, 4, "drl ") != 0) continue;
      line = line.substr(text);
    }
    if (!line.empty() && line.back() == '\\') {
      line.pop_back();
      pending += line + " ";
      continue;
    }
    out.push_back(shell_words(pending + line));
    pending.clear();
  }
  return out;
}

}  // namespace drl::cli
