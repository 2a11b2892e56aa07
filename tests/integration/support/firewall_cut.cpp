#include "integration/support/firewall_cut.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "integration/support/node_process.h"

namespace drl::testing {
namespace {

constexpr const char* kChainPrefix = "DRL-TEST-";

// Runs iptables (-w: waits for the xtables lock another process holds) with `args`; the
// result holds its stdout and stderr.
CommandResult run_iptables(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  std::vector<std::string> full = {"iptables", "-w"};
  full.insert(full.end(), args.begin(), args.end());
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Root's PATH usually has /usr/sbin; a test runner's may not.
    for (const char* path : {"/usr/sbin/iptables", "/sbin/iptables"}) execv(path, argv.data());
    execvp("iptables", argv.data());
    _exit(127);
  }
  close(fds[1]);
  return finish_command(pid, fds[0]);
}

// Deletes the DRL-TEST-<pid> chains of processes that no longer run.
void remove_stale_chains() {
  std::istringstream rules(run_iptables({"-S"}).out);
  std::string line;
  std::vector<std::string> stale;
  const std::string declare = std::string("-N ") + kChainPrefix;
  while (std::getline(rules, line)) {
    if (line.rfind(declare, 0) != 0) continue;
    const std::string chain = line.substr(3);
    const long pid = std::strtol(chain.c_str() + std::string(kChainPrefix).size(), nullptr, 10);
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      stale.push_back(chain);
    }
  }
  for (const auto& chain : stale) {
    while (run_iptables({"-D", "INPUT", "-j", chain}).exit_code == 0) {
    }
    run_iptables({"-F", chain});
    run_iptables({"-X", chain});
  }
}

}  // namespace

std::string FirewallCut::unavailable() {
  if (geteuid() != 0) return "needs root to change iptables rules (run the test as root)";
  const CommandResult probe = run_iptables({"-n", "-L", "INPUT"});
  if (probe.exit_code == 127) return "iptables is not installed";
  if (probe.exit_code != 0) {
    return "iptables does not work here (exit " + std::to_string(probe.exit_code) +
           "): " + probe.out;
  }
  return "";
}

FirewallCut::FirewallCut() : chain_(kChainPrefix + std::to_string(getpid())) {
  remove_stale_chains();
  created_ = iptables({"-N", chain_});
  hooked_ = created_ && iptables({"-I", "INPUT", "-j", chain_});
}

FirewallCut::~FirewallCut() {
  if (hooked_) iptables({"-D", "INPUT", "-j", chain_});
  if (created_) {
    iptables({"-F", chain_});
    iptables({"-X", chain_});
  }
}

bool FirewallCut::isolate(const std::string& host, const std::vector<std::string>& others) {
  if (!hooked_) return false;
  for (const auto& other : others) {
    if (!iptables({"-A", chain_, "-s", host, "-d", other, "-j", "DROP"}) ||
        !iptables({"-A", chain_, "-s", other, "-d", host, "-j", "DROP"})) {
      return false;
    }
  }
  return true;
}

bool FirewallCut::heal() { return created_ && iptables({"-F", chain_}); }

bool FirewallCut::iptables(const std::vector<std::string>& args) {
  const CommandResult r = run_iptables(args);
  if (r.exit_code == 0) return true;
  std::string cmd = "iptables";
  for (const auto& a : args) cmd += " " + a;
  error_ += cmd + ": exit " + std::to_string(r.exit_code) + ": " + r.out;
  return false;
}

std::vector<std::string> private_loopback_hosts(size_t n) {
  const auto pid = static_cast<unsigned>(getpid());
  const std::string prefix =
      "127." + std::to_string((pid >> 8) & 255) + "." + std::to_string(pid & 255) + ".";
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(prefix + std::to_string(201 + i));
  return out;
}

}  // namespace drl::testing
