// Kernel-level link cuts between nodes on their own loopback addresses, for tests that run
// as root: a FirewallCut owns one iptables chain (DRL-TEST-<pid>), hooked into INPUT, whose
// DROP rules cut every packet (TCP and UDP) between one address and a set of others. On
// loopback every packet crosses INPUT, so the one hook cuts both directions, and silently
// (a DROP in OUTPUT would fail the sender's send() with EPERM, which no real partition does).
// Clients on 127.0.0.1 are not matched and keep reaching every node.
// The destructor unhooks and deletes the chain on every path out of a test. Chains left by a
// process that died (a crashed test) are removed by the next FirewallCut.
// Not thread-safe: one FirewallCut per test, used from the test's thread.
#pragma once
#include <string>
#include <vector>

namespace drl::testing {

class FirewallCut {
 public:
  // Empty when this process may use iptables (root, iptables found and working), else the
  // reason it may not: tests GTEST_SKIP with it.
  static std::string unavailable();

  FirewallCut();  // creates and hooks the chain; error() says when it could not
  ~FirewallCut();
  FirewallCut(const FirewallCut&) = delete;
  FirewallCut& operator=(const FirewallCut&) = delete;

  const std::string& error() const { return error_; }
  const std::string& chain() const { return chain_; }
  // Drops every packet from `host` to each of `others` and back. False (error() set) when
  // iptables refused a rule.
  bool isolate(const std::string& host, const std::vector<std::string>& others);
  // Removes every rule of the chain (the chain stays hooked, empty).
  bool heal();

 private:
  bool iptables(const std::vector<std::string>& args);

  std::string chain_, error_;
  bool created_ = false, hooked_ = false;
};

// `n` loopback addresses of this process's own: 127.<pid bits>.<201 + i>, so tests running
// at the same time never cut each other's nodes.
std::vector<std::string> private_loopback_hosts(size_t n);

}  // namespace drl::testing
