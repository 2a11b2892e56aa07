// `drl test-fault`: the test-only admin request. Tells a node started with --enable-test-hooks
// to drop or delay its traffic with chosen peers (chaos scripts and fault tests use it); a node
// without the flag refuses (ADMIN_REFUSED). Sent through the client library
// (Client::set_peer_faults).
#include <charconv>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/default_address.h"
#include "drl/client.h"

namespace drl::cli {
namespace {

// "*" names every peer (an empty peer on the wire).
std::string peer_name(const std::string& arg) { return arg == "*" ? std::string() : arg; }

}  // namespace

Handler register_test_fault(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "test-fault",
      "TEST ONLY: make a node drop or delay its peer traffic (gossip and peer frames, both\n"
      "directions) with chosen peers, or heal. The node must run with --enable-test-hooks;\n"
      "the request replaces the faults in force.");
  cmd->footer(
      "PEER is a member id (n2) or HOST:PORT; * means every peer.\n"
      "Examples:\n"
      "  drl test-fault --server 127.0.0.1:7000 --drop '*'      # cut the node off\n"
      "  drl test-fault --server 127.0.0.1:7000 --drop n2 --delay n3=50\n"
      "  drl test-fault --server 127.0.0.1:7000 --heal\n"
      "Exit code: 0 when the node applied the faults, 2 otherwise (refused, unreachable).");
  struct Args {
    std::string server = kDefaultAddress;
    std::vector<std::string> drop, delay;
    bool heal = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--server", a->server, "Node to tell, HOST:PORT")->capture_default_str();
  cmd->add_option("--drop", a->drop, "Drop all traffic with PEER (repeatable)");
  cmd->add_option("--delay", a->delay, "Delay all traffic with PEER by MS: PEER=MS (repeatable)");
  cmd->add_flag("--heal", a->heal, "Remove every fault");
  return [a] {
    const bool has_faults = !a->drop.empty() || !a->delay.empty();
    if (a->heal == has_faults) {
      std::fprintf(stderr, "drl test-fault: give --heal, or at least one --drop or --delay\n");
      return 2;
    }
    std::vector<PeerFault> faults;
    for (const auto& p : a->drop) faults.push_back({peer_name(p), true, 0});
    for (const auto& d : a->delay) {
      const auto eq = d.rfind('=');
      uint32_t ms = 0;
      const char* end = d.data() + d.size();
      if (eq == std::string::npos || std::from_chars(d.data() + eq + 1, end, ms).ptr != end ||
          eq + 1 == d.size()) {
        std::fprintf(stderr, "drl test-fault: --delay '%s': expected PEER=MS, e.g. n2=50\n",
                     d.c_str());
        return 2;
      }
      faults.push_back({peer_name(d.substr(0, eq)), false, ms});
    }
    ClientOptions options;
    options.nodes = {a->server};
    auto client = Client::create(options);
    std::string error;
    uint32_t in_force = 0;
    if (!client) {
      error = "--server: " + client.status().message();
    } else if ((*client)->set_peer_faults(faults, in_force, error)) {
      std::printf("%s: %u peer fault(s) in force\n", a->server.c_str(), in_force);
      return 0;
    }
    std::fprintf(stderr, "drl test-fault: %s: %s\n", a->server.c_str(), error.c_str());
    return 2;
  };
}

}  // namespace drl::cli
