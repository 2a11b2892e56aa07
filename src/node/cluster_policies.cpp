#include "node/cluster_policies.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>

#include "common/hex.h"
#include "common/key_hash.h"
#include "node/event_log.h"
#include "node/storage/data_dir.h"
#include "rls/config.h"

namespace drl::node {
namespace {

constexpr char kHeader[] = "# drl cluster policies: version ";
// How long a push or a show waits for the cluster thread.
constexpr auto kClusterWait = std::chrono::seconds(5);

// The number of domains of an RLS document, for log lines ("" parses to none).
size_t rls_domains(const std::string& rls) {
  if (rls.empty()) return 0;
  auto load = rls::parse_rls_document(rls, "rls");
  return load.ok() ? load.config->domains().size() : 0;
}

// The hash a --rls-config document is compared with on SIGHUP (0: none).
uint64_t rls_text_hash(const std::string& text) {
  return text.empty() ? 0 : std::max<uint64_t>(1, key_hash(text));
}

}  // namespace

std::string check_rls_document(std::string_view rls, std::string_view source) {
  return rls::parse_rls_document(rls, source).error;
}

std::string saved_policies_path(const std::string& data_dir) {
  return data_dir + "/cluster-policies.yaml";
}

std::string load_saved_policies(const std::string& data_dir, cluster::PolicyOffer& out,
                                limits::PolicySet& set) {
  out = {};
  const std::string path = saved_policies_path(data_dir);
  if (::access(path.c_str(), F_OK) != 0) return "";
  std::string text;
  if (auto err = read_whole_file(path, text); !err.empty()) return err;
  const size_t eol = text.find('\n');
  unsigned long long version = 0, hash = 0, rls_bytes = 0;
  char origin[256] = {0};
  const std::string first = text.substr(0, eol);
  if (eol == std::string::npos || first.rfind(kHeader, 0) != 0 ||
      std::sscanf(first.c_str() + sizeof kHeader - 1, "%llu hash %llx origin %255s rls %llu",
                  &version, &hash, origin, &rls_bytes) < 2 ||
      rls_bytes > text.size() - eol - 1) {
    return path + ": not a saved drl policy set (its first line is not '" + kHeader +
           "V hash H origin O rls N'); move it away to start from --policies";
  }
  out.version = version;
  out.hash = hash;
  out.origin = origin;
  const std::string body = text.substr(eol + 1);
  out.yaml = body.substr(0, body.size() - rls_bytes);
  out.rls = body.substr(body.size() - rls_bytes);
  limits::PolicyLoad load;
  if (out.yaml.empty() && !out.rls.empty()) {
    load.policies.emplace();  // an RLS configuration without named policies
  } else {
    load = limits::parse_policies(out.yaml, path);
    if (!load.ok()) return load.error;
  }
  if (auto err = check_rls_document(out.rls, path + " (its RLS config)"); !err.empty()) return err;
  if (cluster::set_hash(load.content_hash, out.rls) != out.hash) {
    return path + ": the policies do not match the hash on the first line (edited by hand?); " +
           "move it away to start from --policies";
  }
  set = std::move(*load.policies);
  return "";
}

std::string save_policies(const std::string& data_dir, const cluster::PolicyOffer& offer) {
  const std::string bytes = kHeader + std::to_string(offer.version) + " hash " + hex64(offer.hash) +
                            " origin " + (offer.origin.empty() ? "-" : offer.origin) + " rls " +
                            std::to_string(offer.rls.size()) + "\n" + offer.yaml + offer.rls;
  return replace_file(data_dir, saved_policies_path(data_dir), bytes);
}

std::string load_start_policies(const PolicySources& from, service::PolicyBook& book,
                                rls::RlsConfigBook& rls_book, cluster::PolicyOffer& out,
                                uint64_t& policy_file_hash, uint64_t& rls_file_hash) {
  out = {};
  policy_file_hash = rls_file_hash = 0;
  if (!from.policies_path.empty()) {
    if (auto err = book.load(from.policies_path, &out.yaml); !err.empty()) return err;
    out.hash = policy_file_hash = book.current()->hash();
    spdlog::info("loaded {} policies from {} (hash {})", book.current()->size(), from.policies_path,
                 hex64(out.hash));
  }
  if (!from.rls_path.empty()) {
    if (auto err = rls::read_rls_document(from.rls_path, out.rls); !err.empty()) {
      return "cannot load --rls-config: " + err;
    }
    auto rls_load = rls::parse_rls_document(out.rls, from.rls_path);
    if (!rls_load.ok()) return "cannot load --rls-config: " + rls_load.error;
    for (const std::string& w : rls_load.warnings) spdlog::warn("--rls-config: {}", w);
    rls_book.install(std::move(rls_load.config));
    rls_file_hash = rls_text_hash(out.rls);
    spdlog::info("loaded {} domains of RLS configuration from {}",
                 rls_book.current()->domains().size(), from.rls_path);
    // The set at version 0 is both files: its hash covers the RLS document too.
    out.hash = cluster::set_hash(out.hash, out.rls);
    auto load = out.yaml.empty() ? limits::PolicyLoad{limits::PolicySet{}, "", 0}
                                 : limits::parse_policies(out.yaml, from.policies_path);
    if (load.ok()) book.install(std::move(*load.policies), out.hash, 0, "");
  }
  if (from.data_dir.empty()) return "";
  cluster::PolicyOffer saved;
  limits::PolicySet set;
  if (auto err = load_saved_policies(from.data_dir, saved, set); !err.empty()) return err;
  if (saved.version == 0) return "";
  spdlog::info(
      "serving the cluster's policy set version {} (hash {}, {} policies, {} RLS domains) saved "
      "in {}, not the --policies file, until a peer offers a newer one",
      saved.version, hex64(saved.hash), set.size(), rls_domains(saved.rls),
      saved_policies_path(from.data_dir));
  book.install(std::move(set), saved.hash, saved.version, saved.origin);
  if (!saved.rls.empty()) {
    rls_book.install(rls::parse_rls_document(saved.rls, saved_policies_path(from.data_dir)).config);
  }
  out = std::move(saved);
  return "";
}

void reload_policy_file(net::ClusterDecider& cluster, const std::string& path,
                        uint64_t& file_hash) {
  std::string text;
  auto load = limits::load_policy_file(path, &text);
  if (!load.ok()) {
    log_event(spdlog::level::err, "policy_refused", {{"file", path}, {"reason", load.error}},
              "SIGHUP: refused the policies in " + path + ": " + load.error +
                  "; the cluster keeps its set");
    return;
  }
  if (load.content_hash == file_hash) {
    spdlog::info("SIGHUP: {} unchanged since it was read (hash {}): nothing pushed", path,
                 hex64(file_hash));
    return;
  }
  cluster::PolicyDigest installed;
  if (auto err = cluster.push_policies(&text, nullptr, installed, kClusterWait); !err.empty()) {
    log_event(spdlog::level::err, "policy_refused", {{"file", path}, {"reason", err}},
              "SIGHUP: could not push the policies in " + path + ": " + err);
    return;
  }
  file_hash = load.content_hash;
  spdlog::info("SIGHUP: pushed {} to the cluster as policy set version {} (hash {})", path,
               installed.version, hex64(installed.hash));
}

void reload_rls_file(net::ClusterDecider& cluster, const std::string& path, uint64_t& file_hash) {
  std::string text;
  if (auto err = rls::read_rls_document(path, text); !err.empty()) {
    log_event(
        spdlog::level::err, "policy_refused", {{"file", path}, {"reason", err}},
        "SIGHUP: cannot read the RLS config " + path + ": " + err + "; the cluster keeps its set");
    return;
  }
  if (rls_text_hash(text) == file_hash) {
    spdlog::info("SIGHUP: {} unchanged since it was read: nothing pushed", path);
    return;
  }
  if (auto err = check_rls_document(text, path); !err.empty()) {
    log_event(spdlog::level::err, "policy_refused", {{"file", path}, {"reason", err}},
              "SIGHUP: refused the new RLS configuration: " + err + "; keeping the current one");
    return;
  }
  cluster::PolicyDigest installed;
  if (auto err = cluster.push_policies(nullptr, &text, installed, kClusterWait); !err.empty()) {
    log_event(spdlog::level::err, "policy_refused", {{"file", path}, {"reason", err}},
              "SIGHUP: could not push the RLS config in " + path + ": " + err);
    return;
  }
  file_hash = rls_text_hash(text);
  spdlog::info(
      "SIGHUP: pushed the RLS config in {} to the cluster as policy set version {} "
      "(hash {})",
      path, installed.version, hex64(installed.hash));
}

std::string answer_policy_request(net::ClusterDecider& cluster, const wire::PolicyRequest& request,
                                  wire::PolicyResponse& response) {
  if (request.push()) {
    cluster::PolicyDigest installed;
    // Without `set_rls` the RLS document in force stays; with it and no YAML, the policies.
    const bool keep_policies = request.set_rls() && request.yaml().empty();
    const std::string yaml = request.yaml(), rls = request.rls();
    if (auto err =
            cluster.push_policies(keep_policies ? nullptr : &yaml,
                                  request.set_rls() ? &rls : nullptr, installed, kClusterWait);
        !err.empty()) {
      log_event(spdlog::level::err, "policy_refused", {{"reason", err}},
                "refused a pushed policy set: " + err);
      return err;
    }
  }
  cluster::PolicyOffer current;
  if (!cluster.policies(current, kClusterWait)) return "the node's cluster thread did not answer";
  response.set_version(current.version);
  response.set_hash(current.hash);
  response.set_origin(current.origin);
  response.set_yaml(current.yaml);
  response.set_rls(current.rls);
  if (!current.yaml.empty()) {
    auto load = limits::parse_policies(current.yaml);
    if (load.ok()) {
      for (const auto& p : load.policies->all()) response.add_names(p.name);
    }
  }
  return "";
}

void apply_policy_event(const cluster::PolicyEvent& event, service::PolicyBook& book,
                        rls::RlsConfigBook& rls_book, const PolicySources& sources) {
  const std::string& data_dir = sources.data_dir;
  const auto& o = event.offer;
  const std::string version = std::to_string(o.version);
  const std::string hash = hex64(o.hash);
  if (event.kind == cluster::PolicyEvent::Kind::kRefused) {
    log_event(
        spdlog::level::err, "policy_refused",
        {{"version", version}, {"hash", hash}, {"peer", event.from}, {"reason", event.reason}},
        "refused policy set version " + version + " (hash " + hash + ") from " + event.from + ": " +
            event.reason + "; keeping version " + std::to_string(book.current()->version()));
    return;
  }
  const size_t count = event.set.size();
  book.install(event.set, o.hash, o.version, o.origin);
  size_t domains = 0;
  if (!o.rls.empty()) {
    // Checked by the PolicySpread before it installed the set (check_rls_document).
    auto load = rls::parse_rls_document(o.rls, "the cluster's RLS config");
    domains = load.ok() ? load.config->domains().size() : 0;
    rls_book.install(std::move(load.config));
  } else if (!sources.rls_path.empty()) {
    // A set without an RLS document: the node's own --rls-config again.
    if (auto err = rls_book.load(sources.rls_path); !err.empty()) {
      spdlog::error("cannot load --rls-config again: {}; keeping the RLS config in force", err);
    }
  }
  log_event(spdlog::level::info, "policy_installed",
            {{"version", version},
             {"hash", hash},
             {"origin", o.origin},
             {"peer", event.from},
             {"policies", std::to_string(count)},
             {"rls_domains", std::to_string(domains)}},
            "installed policy set version " + version + " (hash " + hash + ", " +
                std::to_string(count) + " policies, " +
                (o.rls.empty() ? std::string("no RLS config")
                               : std::to_string(domains) + " RLS domains") +
                ", pushed at " + o.origin + ", from " + event.from + ")");
  if (data_dir.empty()) return;
  if (auto err = save_policies(data_dir, o); !err.empty()) {
    spdlog::error(
        "cannot save policy set version {} in {}: {} (a restart without a peer to "
        "offer it would serve an older set)",
        version, data_dir, err);
  }
}

}  // namespace drl::node
