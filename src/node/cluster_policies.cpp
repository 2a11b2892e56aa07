#include "node/cluster_policies.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>

#include "common/hex.h"
#include "node/event_log.h"
#include "node/storage/data_dir.h"

namespace drl::node {
namespace {

constexpr char kHeader[] = "# drl cluster policies: version ";
// How long a push or a show waits for the cluster thread.
constexpr auto kClusterWait = std::chrono::seconds(5);

}  // namespace

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
  unsigned long long version = 0, hash = 0;
  char origin[256] = {0};
  const std::string first = text.substr(0, eol);
  if (eol == std::string::npos || first.rfind(kHeader, 0) != 0 ||
      std::sscanf(first.c_str() + sizeof kHeader - 1, "%llu hash %llx origin %255s", &version,
                  &hash, origin) < 2) {
    return path + ": not a saved drl policy set (its first line is not '" + kHeader +
           "V hash H origin O'); move it away to start from --policies";
  }
  out.version = version;
  out.hash = hash;
  out.origin = origin;
  out.yaml = text.substr(eol + 1);
  auto load = limits::parse_policies(out.yaml, path);
  if (!load.ok()) return load.error;
  if (load.content_hash != out.hash) {
    return path + ": the policies do not match the hash on the first line (edited by hand?); " +
           "move it away to start from --policies";
  }
  set = std::move(*load.policies);
  return "";
}

std::string save_policies(const std::string& data_dir, const cluster::PolicyOffer& offer) {
  const std::string bytes = kHeader + std::to_string(offer.version) + " hash " + hex64(offer.hash) +
                            " origin " + (offer.origin.empty() ? "-" : offer.origin) + "\n" +
                            offer.yaml;
  return replace_file(data_dir, saved_policies_path(data_dir), bytes);
}

std::string load_start_policies(const std::string& path, const std::string& data_dir,
                                service::PolicyBook& book, cluster::PolicyOffer& out,
                                uint64_t& file_hash) {
  out = {};
  file_hash = 0;
  if (!path.empty()) {
    if (auto err = book.load(path, &out.yaml); !err.empty()) return err;
    out.hash = file_hash = book.current()->hash();
    spdlog::info("loaded {} policies from {} (hash {})", book.current()->size(), path,
                 hex64(out.hash));
  }
  if (data_dir.empty()) return "";
  cluster::PolicyOffer saved;
  limits::PolicySet set;
  if (auto err = load_saved_policies(data_dir, saved, set); !err.empty()) return err;
  if (saved.version == 0) return "";
  spdlog::info(
      "serving the cluster's policy set version {} (hash {}, {} policies) saved in {}, "
      "not the --policies file, until a peer offers a newer one",
      saved.version, hex64(saved.hash), set.size(), saved_policies_path(data_dir));
  book.install(std::move(set), saved.hash, saved.version, saved.origin);
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
  if (auto err = cluster.push_policies(text, installed, kClusterWait); !err.empty()) {
    log_event(spdlog::level::err, "policy_refused", {{"file", path}, {"reason", err}},
              "SIGHUP: could not push the policies in " + path + ": " + err);
    return;
  }
  file_hash = load.content_hash;
  spdlog::info("SIGHUP: pushed {} to the cluster as policy set version {} (hash {})", path,
               installed.version, hex64(installed.hash));
}

std::string answer_policy_request(net::ClusterDecider& cluster, const wire::PolicyRequest& request,
                                  wire::PolicyResponse& response) {
  if (request.push()) {
    cluster::PolicyDigest installed;
    if (auto err = cluster.push_policies(request.yaml(), installed, kClusterWait); !err.empty()) {
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
  if (!current.yaml.empty()) {
    auto load = limits::parse_policies(current.yaml);
    if (load.ok()) {
      for (const auto& p : load.policies->all()) response.add_names(p.name);
    }
  }
  return "";
}

void apply_policy_event(const cluster::PolicyEvent& event, service::PolicyBook& book,
                        const std::string& data_dir) {
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
  log_event(spdlog::level::info, "policy_installed",
            {{"version", version},
             {"hash", hash},
             {"origin", o.origin},
             {"peer", event.from},
             {"policies", std::to_string(count)}},
            "installed policy set version " + version + " (hash " + hash + ", " +
                std::to_string(count) + " policies, pushed at " + o.origin + ", from " +
                event.from + ")");
  if (data_dir.empty()) return;
  if (auto err = save_policies(data_dir, o); !err.empty()) {
    spdlog::error(
        "cannot save policy set version {} in {}: {} (a restart without a peer to "
        "offer it would serve an older set)",
        version, data_dir, err);
  }
}

}  // namespace drl::node
