// `drl status`: what a node knows about itself and, in a cluster, about its members, its
// share of the ring and its replication. Reads the raw StatusResponse (through the client
// library's NodeLink) so the cluster fields need no client-library API.
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <cstdio>
#include <memory>

#include "cli/address_arg.h"
#include "cli/commands.h"
#include "cli/limit_args.h"
#include "client/node_link.h"
#include "service/client_auth.h"

namespace drl::cli {
namespace {

// Asks `server` for its status; "" on success, else what failed.
std::string fetch_status(const std::string& server, const std::string& token,
                         wire::StatusResponse& out) {
  HostPort hp;
  if (auto err = parse_host_port(server, hp); !err.empty()) return "--server: " + err;
  asio::io_context io;
  auto link = std::make_shared<client::NodeLink>(
      io, std::vector<client::Endpoint>{{hp.host, hp.port, server}}, std::chrono::seconds(2),
      std::chrono::seconds(5), 16u << 20);
  std::string error = "no answer";
  asio::post(io, [&] {
    wire::Request request;
    request.mutable_status();
    if (!token.empty()) request.set_auth_token(token);
    link->send(request, [&](const wire::Response* response, std::string_view e, bool) {
      if (response == nullptr) {
        error = std::string(e);
      } else if (!response->has_status()) {
        error = response->has_error() ? response->error().message() : "unexpected answer";
      } else {
        out = response->status();
        error.clear();
      }
      link->close("done");
      io.stop();
    });
  });
  io.run();
  return error;
}

std::string members_json(const wire::StatusResponse& s) {
  std::string out = "[";
  for (int i = 0; i < s.members_size(); ++i) {
    const auto& m = s.members(i);
    out += (i ? "," : "") + std::string("{\"id\":") + json_string(m.id()) +
           ",\"address\":" + json_string(m.address()) + ",\"state\":" + json_string(m.state()) +
           ",\"incarnation\":" + std::to_string(m.incarnation()) + "}";
  }
  return out + "]";
}

}  // namespace

Handler register_status(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "status", "Show a node's id, version, uptime, keys, memory, members and ring share.");
  cmd->footer(
      "Examples:\n"
      "  drl status --server 127.0.0.1:7000\n"
      "  drl status --server 127.0.0.1:7000 --json\n"
      "Exit code: 0 when the node answered, 2 otherwise.");
  struct Args {
    std::string server = "127.0.0.1:7000";
    std::string token_file;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--server", a->server, "Node to ask, HOST:PORT")->capture_default_str();
  cmd->add_option("--token-file", a->token_file,
                  "File holding the client token, for nodes with --client-tokens-file");
  cmd->add_flag("--json", a->json, "Print one JSON object");
  return [a] {
    wire::StatusResponse s;
    std::string token;
    if (!a->token_file.empty()) {
      if (auto err = service::read_client_token_file(a->token_file, token); !err.empty()) {
        std::fprintf(stderr, "drl status: --token-file: %s\n", err.c_str());
        return 2;
      }
    }
    if (auto error = fetch_status(a->server, token, s); !error.empty()) {
      std::fprintf(stderr, "drl status: %s\n", error.c_str());
      return 2;
    }
    auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
    if (a->json) {
      std::string policies = "[";
      for (int i = 0; i < s.policies_size(); ++i) {
        policies += (i ? "," : "") + json_string(s.policies(i));
      }
      policies += "]";
      std::printf(
          "{\"node_id\":%s,\"version\":%s,\"listen\":%s,\"uptime_ms\":%lld,\"keys\":%llu,"
          "\"memory_bytes\":%llu,\"max_memory_bytes\":%llu,\"evicted\":%llu,\"expired\":%llu,"
          "\"connections\":%llu,\"checks\":%llu,\"checks_decided\":%llu,\"policies\":%s,"
          "\"members\":%s,"
          "\"ring_share\":%.6f,\"ring_epoch\":%llu,\"keys_as_owner\":%llu,"
          "\"keys_as_replica\":%llu,\"replication_lag_ms\":%lld,\"handoff_pending\":%s,"
          "\"cluster\":{\"forwarded\":%llu,\"decided_as_owner\":%llu,\"decided_off_owner\":%llu,"
          "\"failovers\":%llu,\"degraded\":%llu,\"replica_records_sent\":%llu,"
          "\"replica_records_installed\":%llu,\"peer_queue_drops\":%llu,"
          "\"peer_rejected_frames\":%llu,\"gossip_rejected_packets\":%llu,"
          "\"refused_relays\":%llu,\"held_for_view\":%llu,\"expired_relays\":%llu}}\n",
          json_string(s.node_id()).c_str(), json_string(s.version()).c_str(),
          json_string(s.listen()).c_str(), static_cast<long long>(s.uptime_ms()), u(s.keys()),
          u(s.memory_bytes()), u(s.max_memory_bytes()), u(s.evicted()), u(s.expired()),
          u(s.connections()), u(s.checks()), u(s.checks_decided()), policies.c_str(),
          members_json(s).c_str(), s.ring_share(), u(s.ring_epoch()), u(s.keys_as_owner()),
          u(s.keys_as_replica()), static_cast<long long>(s.replication_lag_ms()),
          s.handoff_pending() ? "true" : "false", u(s.forwarded()), u(s.decided_as_owner()),
          u(s.decided_off_owner()), u(s.failovers()), u(s.degraded()), u(s.replica_records_sent()),
          u(s.replica_records_installed()), u(s.peer_queue_drops()), u(s.peer_rejected_frames()),
          u(s.gossip_rejected_packets()), u(s.refused_relays()), u(s.held_for_view()),
          u(s.expired_relays()));
      return 0;
    }
    std::printf("node        %s (drl %s) on %s\n", s.node_id().c_str(), s.version().c_str(),
                s.listen().c_str());
    std::printf("uptime      %.1f s\n", s.uptime_ms() / 1000.0);
    std::printf("keys        %llu (%llu as owner, %llu as replica)\n", u(s.keys()),
                u(s.keys_as_owner()), u(s.keys_as_replica()));
    std::printf("memory      %llu bytes (budget %s)\n", u(s.memory_bytes()),
                s.max_memory_bytes() ? std::to_string(s.max_memory_bytes()).c_str() : "unbounded");
    std::printf("evicted     %llu   expired %llu\n", u(s.evicted()), u(s.expired()));
    std::printf("connections %llu   checks received %llu, decided here %llu\n", u(s.connections()),
                u(s.checks()), u(s.checks_decided()));
    std::string p;
    for (const auto& n : s.policies()) p += " " + n;
    std::printf("policies   %s\n", p.empty() ? " (none)" : p.c_str());
    std::printf("ring        %.1f%% of the hash space, epoch %016llx%s\n", s.ring_share() * 100,
                u(s.ring_epoch()), s.handoff_pending() ? " (hand-off pending)" : "");
    std::printf("replication lag %lld ms; forwarded %llu, failovers %llu, degraded %llu\n",
                static_cast<long long>(s.replication_lag_ms()), u(s.forwarded()), u(s.failovers()),
                u(s.degraded()));
    std::printf("members     %d\n", s.members_size());
    for (const auto& m : s.members()) {
      std::printf("  %-12s %-22s %-8s incarnation %llu\n", m.id().c_str(), m.address().c_str(),
                  m.state().c_str(), u(m.incarnation()));
    }
    return 0;
  };
}

}  // namespace drl::cli
