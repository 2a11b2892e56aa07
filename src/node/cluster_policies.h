// The node's side of the cluster's policy set (cluster/policy_spread.h): the set a node
// starts with, the copy it keeps in --data-dir, and what it does when the cluster installs
// or refuses a set (install it in the PolicyBook, log it, save it).
//
// The saved copy is <data-dir>/cluster-policies.yaml: a first line
//   # drl cluster policies: version V hash H origin O rls N
// then the YAML exactly as pushed, then the set's RLS document (its last N bytes; " rls N"
// is absent in copies saved before sets carried one, and means 0). H is the set's hash
// (cluster::set_hash of those bytes). A node that starts with a saved copy of version >= 1
// serves it (over its --policies file and --rls-config, which are version 0) until a peer
// offers a newer one. Functions only; call them from one thread at a time.
//
// The RLS document: a set that carries one is what the node's Envoy doors (gRPC, POST /json)
// serve; a set without one leaves them the node's own --rls-config.
#pragma once
#include <string>

#include "cluster/policy_spread.h"
#include "drl/client.pb.h"
#include "net/cluster_decider.h"
#include "rls/config_book.h"
#include "service/policy_book.h"

namespace drl::node {

std::string saved_policies_path(const std::string& data_dir);

// Reads the saved copy in `data_dir`. Returns "" and fills `out` (version 0 and nothing else
// when there is none), or says why the file cannot be used (the node refuses to start: a
// damaged copy is an operator's problem, not a reason to serve an older set silently).
std::string load_saved_policies(const std::string& data_dir, cluster::PolicyOffer& out,
                                limits::PolicySet& set);
// Writes `offer` as the saved copy. "" or the error.
std::string save_policies(const std::string& data_dir, const cluster::PolicyOffer& offer);

// Where the node's policy set and RLS configuration start from, and where they go.
struct PolicySources {
  std::string policies_path;  // --policies ("" none)
  std::string rls_path;       // --rls-config ("" none)
  std::string data_dir;       // --data-dir ("" none)
};

// The set a node starts with: the saved copy in the data dir when it has one of version >= 1,
// else the --policies file and the --rls-config document at version 0 (none: empty).
// Installs the policies in `book` and the RLS configuration in `rls_book` (the saved set's
// document when it has one, else --rls-config); `policy_file_hash` and `rls_file_hash` get
// the files' hashes (0 without one). "" or why the node cannot start.
std::string load_start_policies(const PolicySources& from, service::PolicyBook& book,
                                rls::RlsConfigBook& rls_book, cluster::PolicyOffer& out,
                                uint64_t& policy_file_hash, uint64_t& rls_file_hash);

// Checks an RLS document as a set carries it (cluster::PolicySpreadOptions::check_rls).
std::string check_rls_document(std::string_view rls, std::string_view source);

// SIGHUP: re-reads the --policies file and, if its bytes changed since the node last read it
// (`file_hash`), pushes it to the cluster as the next version. A file unchanged since (a
// SIGHUP sent for the client tokens or the RLS config) pushes nothing, so it never undoes a
// `drl policy push`. Logs what it did.
void reload_policy_file(net::ClusterDecider& cluster, const std::string& path, uint64_t& file_hash);
// The same for --rls-config: a changed document is pushed as the next version of the set
// (with the policies in force).
void reload_rls_file(net::ClusterDecider& cluster, const std::string& path, uint64_t& file_hash);

// A client's PolicyRequest: shows the node's set or pushes one. "" or why it is refused.
std::string answer_policy_request(net::ClusterDecider& cluster, const wire::PolicyRequest& request,
                                  wire::PolicyResponse& response);

// Applies a PolicyEvent: an installed set goes into `book` (its RLS document into
// `rls_book`; a set without one gives `rls_book` the --rls-config file again) and, with a
// data dir, to disk; a refused one is logged with its reason. Logs policy_installed /
// policy_refused events.
void apply_policy_event(const cluster::PolicyEvent& event, service::PolicyBook& book,
                        rls::RlsConfigBook& rls_book, const PolicySources& sources);

}  // namespace drl::node
