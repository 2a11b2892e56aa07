#include "cli/cluster_view.h"

#include "common/hex.h"

namespace drl::cli {
namespace {

int precedence(const std::string& state) {
  if (state == "left") return 3;
  if (state == "dead") return 2;
  if (state == "suspect") return 1;
  return 0;
}

bool live(const std::string& state) { return state == "alive" || state == "suspect"; }

// "n1,n2 a; n3 b" for the values of a field over the live members that answered.
std::string grouped(const std::map<std::string, std::vector<std::string>>& by_value) {
  std::string out;
  for (const auto& [value, ids] : by_value) {
    if (!out.empty()) out += "; ";
    for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + ids[i];
    out += " " + value;
  }
  return out;
}

}  // namespace

std::string policy_set_label(const NodeStatus& s) {
  return hex64(s.policy_hash) + " v" + std::to_string(s.policy_version);
}

ClusterView build_cluster_view(const std::map<std::string, NodeStatus>& first,
                               const std::map<std::string, NodeStatus>& second) {
  ClusterView view;
  view.answered = first.size();
  std::map<std::string, MemberRow> rows;
  for (const auto& [node, s] : first) {
    for (const auto& m : s.members) {
      auto [it, fresh] = rows.try_emplace(m.id);
      MemberRow& row = it->second;
      ++row.known_by;
      const bool newer =
          fresh || m.incarnation > row.incarnation ||
          (m.incarnation == row.incarnation && precedence(m.state) > precedence(row.state));
      if (newer) {
        row.id = m.id;
        row.address = m.address;
        row.state = m.state;
        row.incarnation = m.incarnation;
      }
    }
  }
  // A node that answered is alive whatever a stale list says of it.
  for (const auto& [node, s] : first) {
    MemberRow& row = rows[node];
    if (row.id.empty()) {
      row.id = node;
      row.address = s.listen;
      row.known_by = 1;
    }
    if (!live(row.state)) row.state = "alive";
    row.status = s;
    const auto later = second.find(node);
    if (later != second.end() && later->second.uptime_ms > s.uptime_ms &&
        later->second.checks >= s.checks) {
      row.checks_per_second = static_cast<double>(later->second.checks - s.checks) * 1000.0 /
                              static_cast<double>(later->second.uptime_ms - s.uptime_ms);
    }
  }
  std::map<std::string, std::vector<std::string>> epochs, policies;
  std::vector<std::string> silent;
  size_t alive = 0;
  for (auto& [id, row] : rows) {
    if (live(row.state)) {
      ++alive;
      if (!row.status) {
        silent.push_back(id);
      } else {
        epochs[hex64(row.status->ring_epoch)].push_back(id);
        policies[policy_set_label(*row.status)].push_back(id);
      }
    }
    view.members.push_back(std::move(row));
  }
  view.agree = silent.empty() && epochs.size() == 1 && policies.size() == 1;
  if (view.agree) {
    view.agreement = "yes: all " + std::to_string(alive) + " alive members route by ring " +
                     epochs.begin()->first + " and hold policy set " + policies.begin()->first;
  } else {
    view.agreement = "NO:";
    if (epochs.size() > 1) view.agreement += " ring epochs differ (" + grouped(epochs) + ");";
    if (policies.size() > 1) {
      view.agreement += " policy sets differ (" + grouped(policies) + ");";
    }
    if (!silent.empty()) {
      view.agreement += " alive but not answering:";
      for (const auto& id : silent) view.agreement += " " + id;
      view.agreement += ";";
    }
    view.agreement.pop_back();
  }
  return view;
}

}  // namespace drl::cli
