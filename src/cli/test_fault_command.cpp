// `drl test-fault`: the test-only admin request. Tells a node started with --enable-test-hooks
// to drop or delay its traffic with chosen peers (chaos scripts and fault tests use it); a node
// without the flag refuses (ADMIN_REFUSED). Sent through the client library's NodeLink.
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <charconv>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/default_address.h"
#include "client/node_link.h"
#include "common/host_port.h"

namespace drl::cli {
namespace {

// "*" names every peer (an empty peer on the wire).
std::string peer_name(const std::string& arg) { return arg == "*" ? std::string() : arg; }

// Sends `request` to `server`; "" on success (then `out` is set), else what failed.
std::string send_admin(const std::string& server, const wire::AdminRequest& admin,
                       wire::AdminResponse& out) {
  auto hp = parse_host_port(server, PortZero::kAllowed);
  if (!hp) return "--server: " + hp.status().message();
  asio::io_context io;
  auto link = std::make_shared<client::NodeLink>(
      io, std::vector<client::Endpoint>{{hp->host, hp->port, server}}, std::chrono::seconds(2),
      std::chrono::seconds(5), 1u << 20);
  std::string error = "no answer";
  asio::post(io, [&] {
    wire::Request request;
    *request.mutable_admin() = admin;
    link->send(request, [&](const wire::Response* response, std::string_view e, bool) {
      if (response == nullptr) {
        error = std::string(e);
      } else if (response->has_admin()) {
        out = response->admin();
        error.clear();
      } else {
        error = response->has_error() ? response->error().message() : "unexpected answer";
      }
      link->close("done");
      io.stop();
    });
  });
  io.run();
  return error;
}

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
    wire::AdminRequest admin;
    for (const auto& p : a->drop) {
      auto* f = admin.add_faults();
      f->set_peer(peer_name(p));
      f->set_drop(true);
    }
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
      auto* f = admin.add_faults();
      f->set_peer(peer_name(d.substr(0, eq)));
      f->set_delay_ms(ms);
    }
    wire::AdminResponse response;
    if (auto error = send_admin(a->server, admin, response); !error.empty()) {
      std::fprintf(stderr, "drl test-fault: %s: %s\n", a->server.c_str(), error.c_str());
      return 2;
    }
    std::printf("%s: %u peer fault(s) in force\n", a->server.c_str(), response.faults_in_force());
    return 0;
  };
}

}  // namespace drl::cli
