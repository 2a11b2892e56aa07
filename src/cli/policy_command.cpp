// `drl policy push [FILE] [--rls RLS_FILE]` and `drl policy show`: the cluster's one policy
// set and its Envoy RLS configuration, through the client library (drl::Client::
// push_policies / push_policy_set / policies).
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/client_tls_args.h"
#include "cli/commands.h"
#include "cli/default_address.h"
#include "cli/limit_args.h"
#include "cli/token_file_arg.h"
#include "common/hex.h"
#include "drl/client.h"
#include "rls/config.h"

namespace drl::cli {
namespace {

struct Args {
  std::string server = kDefaultAddress;
  std::string token_file;
  ClientTlsArgs tls;
  std::string file;
  std::string rls_file;  // push --rls
  bool json = false, yaml = false, rls = false;
};

void add_common(CLI::App* cmd, Args& a) {
  cmd->add_option("--server", a.server, "Node to ask, HOST:PORT")->capture_default_str();
  cmd->add_option("--token-file", a.token_file,
                  "File holding the client token, for nodes with --client-tokens-file");
  add_client_tls_options(cmd, a.tls);
  cmd->add_flag("--json", a.json, "Print one JSON object");
}

// The domains of the set's RLS document (0: none, or it does not parse here).
size_t rls_domains(const PolicySetInfo& p) {
  if (p.rls.empty()) return 0;
  auto load = rls::parse_rls_document(p.rls, "rls");
  return load.ok() ? load.config->domains().size() : 0;
}

void print(const PolicySetInfo& p, bool json, bool yaml, bool rls) {
  if (yaml || rls) {
    std::fputs((yaml ? p.yaml : p.rls).c_str(), stdout);
    return;
  }
  if (json) {
    std::string names = "[";
    for (size_t i = 0; i < p.names.size(); ++i) names += (i ? "," : "") + json_string(p.names[i]);
    std::printf(
        "{\"version\":%llu,\"hash\":\"%s\",\"origin\":%s,\"policies\":%s,\"rls_domains\":%zu}\n",
        static_cast<unsigned long long>(p.version), hex64(p.hash).c_str(),
        json_string(p.origin).c_str(), (names + "]").c_str(), rls_domains(p));
    return;
  }
  std::string names;
  for (const auto& n : p.names) names += " " + n;
  std::printf("policy set version %llu, hash %s%s\npolicies  %s\n",
              static_cast<unsigned long long>(p.version), hex64(p.hash).c_str(),
              p.version == 0 ? " (the node's own --policies file, never pushed)"
                             : (", pushed at " + p.origin).c_str(),
              names.empty() ? " (none)" : names.c_str());
  if (p.rls.empty()) {
    std::printf("rls       (none: the node's own --rls-config, if any)\n");
  } else {
    std::printf("rls       %zu domains (drl policy show --rls prints them)\n", rls_domains(p));
  }
}

int run(const Args& a, bool push) {
  const char* what = push ? "drl policy push" : "drl policy show";
  std::string yaml, rls;
  if (push && a.file.empty() && a.rls_file.empty()) {
    std::fprintf(stderr, "%s: give a policy FILE, --rls RLS_FILE, or both\n", what);
    return 2;
  }
  if (push && !a.file.empty()) {
    std::ifstream in(a.file, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf())) {
      std::fprintf(stderr, "%s: cannot read %s\n", what, a.file.c_str());
      return 2;
    }
    yaml = text.str();
  }
  if (push && !a.rls_file.empty()) {
    // A file or a directory, as --rls-config reads it; the node checks it.
    if (auto err = rls::read_rls_document(a.rls_file, rls); !err.empty()) {
      std::fprintf(stderr, "%s: --rls: %s\n", what, err.c_str());
      return 2;
    }
  }
  ClientOptions options;
  options.nodes = {a.server};
  options.connect_timeout = std::chrono::seconds(2);
  options.request_timeout = std::chrono::seconds(10);
  options.max_frame_bytes = 16u << 20;
  options.tls = client_tls_from(a.tls);
  if (!read_token_file_arg(a.token_file, what, options.auth_token)) return 2;
  auto client = Client::create(std::move(options));
  if (!client) {
    std::fprintf(stderr, "%s: --server: %s\n", what, client.status().message().c_str());
    return 2;
  }
  PolicySetInfo info;
  std::string error;
  const bool ok = !push                ? (*client)->policies(info, error)
                  : a.rls_file.empty() ? (*client)->push_policies(yaml, info, error)
                                       : (*client)->push_policy_set(yaml, rls, info, error);
  if (!ok) {
    std::fprintf(stderr, "%s: %s\n", what, error.c_str());
    return push ? 1 : 2;
  }
  print(info, a.json, a.yaml, a.rls);
  return 0;
}

}  // namespace

Handler register_policy(CLI::App& app) {
  auto* cmd = app.add_subcommand("policy", "Push the cluster's one policy set, or show it.");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n"
      "  drl policy push docs/policies.example.yaml --server 127.0.0.1:7000\n"
      "  drl policy push --rls docs/rls.example.yaml --server 127.0.0.1:7000\n"
      "  drl policy show --server 127.0.0.1:7000\n"
      "A push makes FILE the cluster's next policy set (version + 1): the node checks it\n"
      "exactly as a --policies file, refuses it with the reason if it does not parse or\n"
      "validate (nothing changes anywhere), and otherwise offers it to every member, which\n"
      "install it within a second or so; a node that joins or restarts later takes it from\n"
      "its peers (and from --data-dir, if it has one). The newest version wins everywhere.\n"
      "--rls FILE (a file or directory, as --rls-config) makes the Envoy RLS configuration\n"
      "part of the set, checked the same way; a push without --rls keeps the one in force,\n"
      "and --rls without FILE keeps the policies.\n"
      "See docs/operations.md, \"One policy set for the cluster\".\n"
      "Exit code: 0 when done, 1 when the node refused the set, 2 when it could not be asked.");
  auto a = std::make_shared<Args>();
  auto* push = cmd->add_subcommand("push", "Make FILE (YAML policies) the cluster's policy set");
  push->add_option("FILE", a->file,
                   "Policy file (the format of --policies); none with --rls: keep the policies");
  push->add_option("--rls", a->rls_file,
                   "Envoy RLS config file or directory (the format of --rls-config) for the set");
  add_common(push, *a);
  auto* show = cmd->add_subcommand("show", "The policy set the node holds: version, hash, names");
  add_common(show, *a);
  show->add_flag("--yaml", a->yaml, "Print the set's YAML text only");
  show->add_flag("--rls", a->rls, "Print the set's RLS configuration document only");
  return [a, push] { return run(*a, push->parsed()); };
}

}  // namespace drl::cli
