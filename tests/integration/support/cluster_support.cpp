#include "integration/support/cluster_support.h"

#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/post.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>

#include "client/node_link.h"

namespace drl::testing {

bool exchange(const std::string& address, wire::Request request, wire::Response& out,
              std::string& error) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    error = "not host:port: " + address;
    return false;
  }
  asio::io_context io;
  auto link = std::make_shared<client::NodeLink>(
      io,
      std::vector<client::Endpoint>{{address.substr(0, colon),
                                     static_cast<uint16_t>(std::stoi(address.substr(colon + 1))),
                                     address}},
      std::chrono::seconds(1), std::chrono::seconds(3), 16u << 20);
  bool ok = false;
  asio::post(io, [&] {
    link->send(request, [&](const wire::Response* response, std::string_view e, bool) {
      if (response != nullptr) {
        out = *response;
        ok = true;
      } else {
        error = std::string(e);
      }
      link->close("done");
      io.stop();
    });
  });
  io.run();
  return ok;
}

bool fetch_status(const std::string& address, wire::StatusResponse& out, std::string* error) {
  wire::Request request;
  request.mutable_status();
  wire::Response response;
  std::string e;
  if (!exchange(address, request, response, e)) {
    if (error != nullptr) *error = e;
    return false;
  }
  if (!response.has_status()) {
    if (error != nullptr) *error = "not a status";
    return false;
  }
  out = response.status();
  return true;
}

bool all_hold_policy_version(const std::vector<std::string>& addresses, uint64_t version) {
  uint64_t hash = 0;
  for (const auto& a : addresses) {
    wire::StatusResponse s;
    if (!fetch_status(a, s) || s.policy_version() != version) return false;
    if (hash != 0 && s.policy_hash() != hash) return false;
    hash = s.policy_hash();
  }
  return true;
}

std::map<std::string, std::string> member_states(const std::string& address) {
  std::map<std::string, std::string> out;
  wire::StatusResponse s;
  if (!fetch_status(address, s)) return out;
  for (const auto& m : s.members()) out[m.id()] = m.state();
  return out;
}

bool same_ring(const std::vector<std::string>& addresses) {
  uint64_t epoch = 0;
  for (const auto& a : addresses) {
    wire::StatusResponse s;
    if (!fetch_status(a, s) || s.handoff_pending() || s.ring_epoch() == 0) return false;
    if (epoch != 0 && s.ring_epoch() != epoch) return false;
    epoch = s.ring_epoch();
  }
  return true;
}

uint16_t free_base_port(int count) {
  std::mt19937 rng(static_cast<unsigned>(getpid()));
  asio::io_context io;
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto base = static_cast<uint16_t>(20000 + rng() % 30000);
    bool ok = true;
    for (int p = base; p < base + count && ok; ++p) {
      std::error_code ec;
      asio::ip::tcp::acceptor a(io);
      a.open(asio::ip::tcp::v4(), ec);
      if (!ec) a.bind({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(p)}, ec);
      asio::ip::udp::socket u(io);
      if (!ec) u.open(asio::ip::udp::v4(), ec);
      if (!ec) u.bind({asio::ip::make_address("0.0.0.0"), static_cast<uint16_t>(p)}, ec);
      ok = !ec;
    }
    if (ok) return base;
  }
  return 0;
}

LocalCluster::LocalCluster(size_t n, std::vector<std::string> extra, PerNodeArgs per_node)
    : extra_(std::move(extra)), per_node_(std::move(per_node)) {
  for (size_t i = 0; i < n; ++i) start(i);
}

std::vector<std::string> LocalCluster::addresses() const {
  std::vector<std::string> out;
  for (uint16_t p : ports_) out.push_back("127.0.0.1:" + std::to_string(p));
  return out;
}

void LocalCluster::start(size_t index) {
  std::vector<std::string> args = {"--id", id(index)};
  if (!seed_.empty()) args.insert(args.end(), {"--join", seed_});
  for (std::string arg : extra_) {
    for (size_t at; (at = arg.find("{id}")) != std::string::npos;) arg.replace(at, 4, id(index));
    args.push_back(std::move(arg));
  }
  if (per_node_) {
    const auto own = per_node_(index);
    args.insert(args.end(), own.begin(), own.end());
  }
  if (index < nodes_.size()) {
    nodes_[index].reset();
    nodes_[index] =
        std::make_unique<NodeProcess>(args, "127.0.0.1:" + std::to_string(ports_[index]));
    return;
  }
  nodes_.push_back(std::make_unique<NodeProcess>(args));
  ports_.push_back(nodes_.back()->port());
  if (seed_.empty()) seed_ = nodes_.back()->address();
}

void LocalCluster::kill(size_t index) {
  if (!running(index)) return;
  nodes_[index]->signal(SIGKILL);
  eventually([&] { return !nodes_[index]->alive(); });
  nodes_[index].reset();
}

bool LocalCluster::converged() {
  const auto all = addresses();
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!running(i)) continue;
    const auto states = member_states(all[i]);
    for (size_t j = 0; j < nodes_.size(); ++j) {
      auto it = states.find(id(j));
      const bool alive = it != states.end() && it->second == "alive";
      if (alive != running(j)) return false;
    }
  }
  return true;
}

bool LocalCluster::stable() {
  if (!converged()) return false;
  std::vector<std::string> running_addresses;
  const auto all = addresses();
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (running(i)) running_addresses.push_back(all[i]);
  }
  return same_ring(running_addresses);
}

std::string LocalCluster::error() const {
  std::string out;
  for (const auto& n : nodes_) {
    if (n && !n->error().empty()) out += n->error() + "\n";
  }
  return out;
}

uint16_t read_port_file(const std::string& path) {
  std::ifstream f(path);
  unsigned p = 0;
  return f >> p ? static_cast<uint16_t>(p) : 0;
}

std::string DoorCluster::make_dir() {
  static int counter = 0;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("drl-door-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  return dir.string();
}

DoorCluster::DoorCluster(const std::string& door_flag, std::vector<std::string> extra)
    : dir_(make_dir()) {
  extra.insert(extra.end(),
               {door_flag, "127.0.0.1:0", door_flag + "-port-file", dir_ + "/port-{id}"});
  cluster_ = std::make_unique<LocalCluster>(3, extra);
}

DoorCluster::~DoorCluster() {
  cluster_.reset();
  std::error_code ignore;
  std::filesystem::remove_all(dir_, ignore);
}

std::string DoorCluster::ready() {
  if (!cluster_->error().empty()) return cluster_->error();
  if (!eventually([&] { return cluster_->stable(); }, std::chrono::seconds(30))) {
    return "the cluster did not become stable";
  }
  for (size_t i = 0; i < cluster_->size(); ++i) {
    ports_.push_back(read_port_file(dir_ + "/port-" + cluster_->id(i)));
    if (ports_.back() == 0) return "no door port for " + cluster_->id(i);
  }
  addresses_ = cluster_->addresses();
  return "";
}

}  // namespace drl::testing
