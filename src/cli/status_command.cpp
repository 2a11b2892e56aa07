// `drl status`: what a node knows about itself and, in a cluster, about its members, its
// share of the ring and its replication, through the client library (drl::Client::status).
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "cli/client_tls_args.h"
#include "cli/cluster_view.h"
#include "cli/commands.h"
#include "cli/default_address.h"
#include "cli/limit_args.h"
#include "cli/token_file_arg.h"
#include "common/hex.h"
#include "drl/client.h"

namespace drl::cli {
namespace {

// Asks `server` for its status through the client library; "" on success, else what failed.
// `access`: the token and TLS settings (its other fields are set here).
std::string fetch_status(const std::string& server, const ClientOptions& access, NodeStatus& out) {
  ClientOptions options = access;
  options.nodes = {server};
  options.connect_timeout = std::chrono::seconds(2);
  options.request_timeout = std::chrono::seconds(5);
  options.max_frame_bytes = 16u << 20;
  auto client = Client::create(std::move(options));
  if (!client) return "--server: " + client.status().message();
  std::string error;
  if (!(*client)->status(out, error)) return error;
  return "";
}

std::string members_json(const NodeStatus& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.members.size(); ++i) {
    const auto& m = s.members[i];
    out += (i ? "," : "") + std::string("{\"id\":") + json_string(m.id) +
           ",\"address\":" + json_string(m.address) + ",\"state\":" + json_string(m.state) +
           ",\"incarnation\":" + std::to_string(m.incarnation) + "}";
  }
  return out + "]";
}

using Statuses = std::map<std::string, NodeStatus>;

// Asks `start`, then every live member any answer names (by its address), once each.
Statuses ask_everyone(const std::string& start, const ClientOptions& access) {
  Statuses out;
  std::deque<std::string> to_ask{start};
  std::set<std::string> asked;
  while (!to_ask.empty()) {
    const std::string address = to_ask.front();
    to_ask.pop_front();
    if (!asked.insert(address).second) continue;
    NodeStatus s;
    if (!fetch_status(address, access, s).empty()) continue;
    for (const auto& m : s.members) {
      if ((m.state == "alive" || m.state == "suspect") && !out.count(m.id)) {
        to_ask.push_back(m.address);
      }
    }
    out[s.node_id] = std::move(s);
  }
  return out;
}

// Asks the nodes of `known` again, at their addresses.
Statuses ask_again(const Statuses& known, const ClientOptions& access) {
  Statuses out;
  for (const auto& [id, before] : known) {
    NodeStatus s;
    if (fetch_status(before.listen, access, s).empty()) out[id] = std::move(s);
  }
  return out;
}

int print_cluster(const std::string& server, const ClientOptions& access, bool json) {
  const Statuses first = ask_everyone(server, access);
  if (first.empty()) {
    std::fprintf(stderr, "drl status: %s does not answer\n", server.c_str());
    return 2;
  }
  // Two looks a second apart give each node's checks per second.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const ClusterView view = build_cluster_view(first, ask_again(first, access));
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  if (json) {
    std::string out = "{\"members\":[";
    for (size_t i = 0; i < view.members.size(); ++i) {
      const auto& m = view.members[i];
      out += (i ? "," : "") + std::string("{\"id\":") + json_string(m.id) +
             ",\"address\":" + json_string(m.address) + ",\"state\":" + json_string(m.state) +
             ",\"incarnation\":" + std::to_string(m.incarnation) +
             ",\"known_by\":" + std::to_string(m.known_by) +
             ",\"answered\":" + (m.status ? "true" : "false");
      if (m.status) {
        char share[32];
        std::snprintf(share, sizeof share, "%.6f", m.status->ring_share);
        out += ",\"ring_share\":" + std::string(share) +
               ",\"ring_epoch\":" + json_string(hex64(m.status->ring_epoch)) +
               ",\"policy_hash\":" + json_string(hex64(m.status->policy_hash)) +
               ",\"policy_version\":" + std::to_string(m.status->policy_version) +
               ",\"keys\":" + std::to_string(m.status->keys);
        if (m.checks_per_second >= 0) {
          char rate[32];
          std::snprintf(rate, sizeof rate, "%.1f", m.checks_per_second);
          out += ",\"checks_per_second\":" + std::string(rate);
        }
      }
      out += "}";
    }
    out += "],\"answered\":" + std::to_string(view.answered) +
           ",\"agree\":" + (view.agree ? "true" : "false") +
           ",\"agreement\":" + json_string(view.agreement) + "}";
    std::printf("%s\n", out.c_str());
    return 0;
  }
  std::printf("%-10s %-22s %-8s %5s %7s %-16s %-22s %10s %9s\n", "id", "address", "state", "inc",
              "share", "epoch", "policy set", "keys", "checks/s");
  for (const auto& m : view.members) {
    std::string known = m.known_by < view.answered
                            ? " (known to " + std::to_string(m.known_by) + " of " +
                                  std::to_string(view.answered) + " answering)"
                            : "";
    if (!m.status) {
      std::printf("%-10s %-22s %-8s %5llu %7s %-16s %-22s %10s %9s%s\n", m.id.c_str(),
                  m.address.c_str(), m.state.c_str(), u(m.incarnation), "-", "-", "-", "-", "-",
                  known.c_str());
      continue;
    }
    char rate[32] = "-";
    if (m.checks_per_second >= 0) std::snprintf(rate, sizeof rate, "%.1f", m.checks_per_second);
    std::printf("%-10s %-22s %-8s %5llu %6.1f%% %-16s %-22s %10llu %9s%s\n", m.id.c_str(),
                m.address.c_str(), m.state.c_str(), u(m.incarnation), m.status->ring_share * 100,
                hex64(m.status->ring_epoch).c_str(), policy_set_label(*m.status).c_str(),
                u(m.status->keys), rate, known.c_str());
  }
  std::printf("agreement  %s\n", view.agreement.c_str());
  return 0;
}

}  // namespace

Handler register_status(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "status", "Show a node's id, version, uptime, keys, memory, members and ring share.");
  cmd->footer(
      "Examples:\n"
      "  drl status --server 127.0.0.1:7000\n"
      "  drl status --server 127.0.0.1:7000 --json\n"
      "  drl status --server 127.0.0.1:7000 --cluster\n"
      "--cluster asks every live member (found through the node's member list) twice, a\n"
      "second apart, and prints each member's id, address, state, incarnation, ring share,\n"
      "epoch, policy set (hash and version), keys and checks/s, then a line saying whether\n"
      "all alive members agree on the ring and the policy set. Members are the union of every\n"
      "answering node's list; a member's state is its highest-incarnation one (ties: left >\n"
      "dead > suspect > alive), so any node asked shows the same list.\n"
      "Epochs and hashes are 16 hex digits (JSON: strings).\n"
      "Exit code: 0 when the node answered, 2 otherwise.");
  struct Args {
    std::string server = kDefaultAddress;
    std::string token_file;
    ClientTlsArgs tls;
    bool json = false, cluster = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--server", a->server, "Node to ask, HOST:PORT")->capture_default_str();
  cmd->add_option("--token-file", a->token_file,
                  "File holding the client token, for nodes with --client-tokens-file");
  add_client_tls_options(cmd, a->tls);
  cmd->add_flag("--json", a->json, "Print one JSON object");
  cmd->add_flag("--cluster", a->cluster,
                "Every member's status and whether they agree on the ring and policy set");
  return [a] {
    NodeStatus s;
    ClientOptions access;
    access.tls = client_tls_from(a->tls);
    if (!read_token_file_arg(a->token_file, "drl status", access.auth_token)) return 2;
    if (a->cluster) return print_cluster(a->server, access, a->json);
    if (auto error = fetch_status(a->server, access, s); !error.empty()) {
      std::fprintf(stderr, "drl status: %s\n", error.c_str());
      return 2;
    }
    auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
    if (a->json) {
      std::string policies = "[";
      for (size_t i = 0; i < s.policies.size(); ++i) {
        policies += (i ? "," : "") + json_string(s.policies[i]);
      }
      policies += "]";
      std::printf(
          "{\"node_id\":%s,\"version\":%s,\"listen\":%s,\"bound\":%s,\"uptime_ms\":%lld,"
          "\"keys\":%llu,"
          "\"memory_bytes\":%llu,\"max_memory_bytes\":%llu,\"evicted\":%llu,\"expired\":%llu,"
          "\"on_memory_full\":%s,\"memory_untracked\":%llu,\"reset_by_eviction\":%llu,"
          "\"replica_records_refused\":%llu,"
          "\"connections\":%llu,\"checks\":%llu,\"checks_decided\":%llu,\"policies\":%s,"
          "\"members\":%s,"
          "\"ring_share\":%.6f,\"ring_epoch\":\"%s\",\"policy_hash\":\"%s\",\"policy_version\":%"
          "llu,"
          "\"policy_origin\":%s,\"keys_as_owner\":%llu,"
          "\"keys_as_replica\":%llu,\"replication_lag_ms\":%lld,\"handoff_pending\":%s,"
          "\"cluster\":{\"forwarded\":%llu,\"decided_as_owner\":%llu,\"decided_off_owner\":%llu,"
          "\"failovers\":%llu,\"degraded\":%llu,\"replica_records_sent\":%llu,"
          "\"replica_records_installed\":%llu,\"peer_queue_drops\":%llu,"
          "\"peer_rejected_frames\":%llu,\"gossip_rejected_packets\":%llu,"
          "\"refused_relays\":%llu,\"held_for_view\":%llu,\"expired_relays\":%llu}}\n",
          json_string(s.node_id).c_str(), json_string(s.version).c_str(),
          json_string(s.listen).c_str(), json_string(s.bound).c_str(),
          static_cast<long long>(s.uptime_ms), u(s.keys), u(s.memory_bytes), u(s.max_memory_bytes),
          u(s.evicted), u(s.expired), json_string(s.on_memory_full).c_str(), u(s.memory_untracked),
          u(s.reset_by_eviction), u(s.replica_records_refused), u(s.connections), u(s.checks),
          u(s.checks_decided), policies.c_str(), members_json(s).c_str(), s.ring_share,
          hex64(s.ring_epoch).c_str(), hex64(s.policy_hash).c_str(), u(s.policy_version),
          json_string(s.policy_origin).c_str(), u(s.keys_as_owner), u(s.keys_as_replica),
          static_cast<long long>(s.replication_lag_ms), s.handoff_pending ? "true" : "false",
          u(s.forwarded), u(s.decided_as_owner), u(s.decided_off_owner), u(s.failovers),
          u(s.degraded), u(s.replica_records_sent), u(s.replica_records_installed),
          u(s.peer_queue_drops), u(s.peer_rejected_frames), u(s.gossip_rejected_packets),
          u(s.refused_relays), u(s.held_for_view), u(s.expired_relays));
      return 0;
    }
    std::printf(
        "node        %s (drl %s) on %s%s\n", s.node_id.c_str(), s.version.c_str(), s.listen.c_str(),
        s.bound.empty() || s.bound == s.listen ? "" : (" (bound to " + s.bound + ")").c_str());
    std::printf("uptime      %.1f s\n", s.uptime_ms / 1000.0);
    std::printf("keys        %llu (%llu as owner, %llu as replica)\n", u(s.keys),
                u(s.keys_as_owner), u(s.keys_as_replica));
    std::printf("memory      %llu bytes (budget %s)\n", u(s.memory_bytes),
                s.max_memory_bytes ? std::to_string(s.max_memory_bytes).c_str() : "unbounded");
    std::printf("evicted     %llu   expired %llu\n", u(s.evicted), u(s.expired));
    std::printf(
        "memory full %s: %llu checks not tracked, %llu resets flagged, %llu replica "
        "records refused\n",
        s.on_memory_full.c_str(), u(s.memory_untracked), u(s.reset_by_eviction),
        u(s.replica_records_refused));
    std::printf("connections %llu   checks received %llu, decided here %llu\n", u(s.connections),
                u(s.checks), u(s.checks_decided));
    std::string p;
    for (const auto& n : s.policies) p += " " + n;
    std::printf("policies   %s%s\n", p.empty() ? " (none)" : p.c_str(),
                s.policy_hash
                    ? (" (set " + policy_set_label(s) +
                       (s.policy_origin.empty() ? "" : ", pushed at " + s.policy_origin) + ")")
                          .c_str()
                    : "");
    std::printf("ring        %.1f%% of the hash space, epoch %s%s\n", s.ring_share * 100,
                hex64(s.ring_epoch).c_str(), s.handoff_pending ? " (hand-off pending)" : "");
    std::printf("replication lag %lld ms; forwarded %llu, failovers %llu, degraded %llu\n",
                static_cast<long long>(s.replication_lag_ms), u(s.forwarded), u(s.failovers),
                u(s.degraded));
    std::printf("members     %zu\n", s.members.size());
    for (const auto& m : s.members) {
      std::printf("  %-12s %-22s %-8s incarnation %llu\n", m.id.c_str(), m.address.c_str(),
                  m.state.c_str(), u(m.incarnation));
    }
    return 0;
  };
}

}  // namespace drl::cli
