// `drl cluster`: a local cluster of `drl node` processes on loopback, in the foreground.
// It writes DIR/nodes.json (id, pid, address, argv, log of every node) so that scripts can
// kill and restart nodes; Ctrl-C (or SIGTERM, SIGHUP) stops them all, and they die with it
// even when it is killed with SIGKILL. With --base-host each node
// listens on (and sends its peer traffic from) its own address, so a firewall can cut the
// link between two nodes (scripts/chaos.sh does, as root).
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/default_address.h"
#include "cli/limit_args.h"
#include "cli/nodes_file.h"

namespace drl::cli {
namespace {

struct ClusterOptions {
  int nodes = 3;
  int base_port = kDefaultPort;
  std::string base_host;  // empty: every node on 127.0.0.1
  std::string dir = "drl-cluster";
  std::string policies;
  std::string cluster_key_file;
  int replicas = 0;
  std::vector<std::string> extra;
};

struct LocalNode {
  std::string id;
  std::string address;
  std::vector<std::string> argv;
  std::string log;
  pid_t pid = -1;
};

volatile sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

std::string self_binary() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("drl") : p.string();
}

// The signals that stop the supervisor (on_stop).
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, sig);
  return set;
}

pid_t spawn(const LocalNode& node) {
  const pid_t parent = getpid();
  // Until the child has dropped the supervisor's handler, a stop signal sent to it would run
  // that handler (in the child's copy of the supervisor) and be lost: the node would start
  // and never stop. So the signals wait, blocked, over the fork.
  const sigset_t stops = stop_signals();
  sigset_t before;
  sigprocmask(SIG_BLOCK, &stops, &before);
  pid_t pid = fork();
  if (pid != 0) {
    sigprocmask(SIG_SETMASK, &before, nullptr);
    return pid;
  }
  // Child: the default actions again, then a stop signal already sent ends it here.
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, SIG_DFL);
  sigprocmask(SIG_SETMASK, &before, nullptr);
  // Own process group so a terminal's Ctrl-C reaches only the parent, which then stops the
  // nodes in order; output goes to the node's log file.
  setpgid(0, 0);
  // A node dies with its supervisor, even one killed by SIGKILL (which it cannot handle):
  // the kernel sends SIGTERM when the parent exits, and the node leaves the cluster. A
  // parent that died before this line is seen by getppid() no longer being it.
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(1);
  int fd = open(node.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  std::vector<char*> args;
  for (const auto& a : node.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  std::fprintf(stderr, "drl cluster: cannot run %s: %s\n", args[0], std::strerror(errno));
  _exit(127);
}

bool write_nodes_json(const std::string& path, const std::vector<LocalNode>& nodes) {
  std::string out = "{\"nodes\":[";
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    if (i) out += ",";
    out += "{\"id\":" + json_string(n.id) + ",\"pid\":" + std::to_string(n.pid) +
           ",\"address\":" + json_string(n.address) + ",\"log\":" + json_string(n.log) +
           ",\"argv\":[";
    for (size_t j = 0; j < n.argv.size(); ++j) {
      if (j) out += ",";
      out += json_string(n.argv[j]);
    }
    out += "]}";
  }
  out += "]}\n";
  // Write then rename, so a script never reads half a file.
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    if (!(f << out)) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// The listen host of each of `n` nodes: all "127.0.0.1" without a base host, else
// base_host, base_host + 1, ... (IPv4). Returns "" or a message.
std::string node_hosts(const std::string& base_host, int n, std::vector<std::string>& out) {
  out.assign(n, "127.0.0.1");
  if (base_host.empty()) return "";
  in_addr a{};
  if (inet_pton(AF_INET, base_host.c_str(), &a) != 1) {
    return "'" + base_host + "' is not an IPv4 address (for example 127.0.0.11)";
  }
  const uint32_t first = ntohl(a.s_addr);
  if (first == 0) return "0.0.0.0 is every address, not one per node; give e.g. 127.0.0.11";
  if (first > UINT32_MAX - static_cast<uint32_t>(n - 1)) {
    return "'" + base_host + "' leaves no room for " + std::to_string(n) + " addresses";
  }
  for (int i = 0; i < n; ++i) {
    in_addr ai{};
    ai.s_addr = htonl(first + static_cast<uint32_t>(i));
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &ai, text, sizeof text);
    out[i] = text;
  }
  return "";
}

int run_cluster(const ClusterOptions& o) {
  std::vector<std::string> hosts;
  if (auto err = node_hosts(o.base_host, o.nodes, hosts); !err.empty()) {
    std::fprintf(stderr, "drl cluster: --base-host: %s\n", err.c_str());
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  if (ec) {
    std::fprintf(stderr, "drl cluster: cannot create --dir %s: %s\n", o.dir.c_str(),
                 ec.message().c_str());
    return 2;
  }
  const std::string dir = std::filesystem::absolute(o.dir).string();
  const std::string bin = self_binary();
  std::vector<LocalNode> nodes(o.nodes);
  for (int i = 0; i < o.nodes; ++i) {
    auto& n = nodes[i];
    n.id = "n" + std::to_string(i + 1);
    n.address = hosts[i] + ":" + std::to_string(o.base_port + i);
    n.log = dir + "/" + n.id + ".log";
    n.argv = {bin, "node", "--listen", n.address, "--id", n.id};
    // Every node names all the others as seeds (any live one lets it join), so a node
    // restarted from nodes.json, n1 included, joins the running cluster instead of founding
    // a new one.
    std::string seeds;
    for (int j = 0; j < o.nodes; ++j) {
      if (j == i) continue;
      if (!seeds.empty()) seeds += ',';
      seeds += hosts[j] + ":" + std::to_string(o.base_port + j);
    }
    if (!seeds.empty()) n.argv.insert(n.argv.end(), {"--join", seeds});
    if (!o.policies.empty()) {
      n.argv.insert(n.argv.end(), {"--policies", std::filesystem::absolute(o.policies).string()});
    }
    if (!o.cluster_key_file.empty()) {
      n.argv.insert(n.argv.end(),
                    {"--cluster-key-file", std::filesystem::absolute(o.cluster_key_file).string()});
    }
    if (o.replicas > 0) n.argv.insert(n.argv.end(), {"--replicas", std::to_string(o.replicas)});
    n.argv.insert(n.argv.end(), o.extra.begin(), o.extra.end());
  }

  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A closed terminal sends SIGHUP: stop the nodes rather than die and leave them running.
  sigaction(SIGHUP, &sa, nullptr);

  for (auto& n : nodes) {
    n.pid = spawn(n);
    if (n.pid < 0) {
      std::fprintf(stderr, "drl cluster: fork failed: %s\n", std::strerror(errno));
      g_stop = 1;
      break;
    }
  }
  const std::string nodes_json = dir + "/nodes.json";
  if (!write_nodes_json(nodes_json, nodes)) {
    std::fprintf(stderr, "drl cluster: cannot write %s\n", nodes_json.c_str());
  }
  std::printf("drl cluster: %d nodes on %s .. %s; logs and nodes.json in %s\n", o.nodes,
              nodes.front().address.c_str(), nodes.back().address.c_str(), dir.c_str());
  std::printf("  try:  %s check --server %s user:42 --limit 3 --window 1m\n", bin.c_str(),
              nodes[0].address.c_str());
  std::printf("        %s status --server %s\n", bin.c_str(), nodes[0].address.c_str());
  std::printf("Ctrl-C stops the cluster.\n");
  std::fflush(stdout);

  // Reap children until asked to stop. A node that exits (killed by a chaos script, say) is
  // reported; the script that killed it restarts it from the argv in nodes.json.
  int alive = o.nodes;
  while (!g_stop && alive > 0) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: every child is gone (restarted nodes are not our children)
    }
    for (auto& n : nodes) {
      if (n.pid != pid) continue;
      if (WIFSIGNALED(status)) {
        std::printf("drl cluster: node %s (pid %d) killed by signal %d\n", n.id.c_str(), pid,
                    WTERMSIG(status));
      } else {
        std::printf("drl cluster: node %s (pid %d) exited with %d; see %s\n", n.id.c_str(), pid,
                    WEXITSTATUS(status), n.log.c_str());
      }
      std::fflush(stdout);
      n.pid = -1;
      --alive;
    }
  }
  // Stop the nodes: ours by pid, and any restarted by a script, as nodes.json names them.
  std::vector<pid_t> to_stop;
  for (auto& n : nodes) {
    if (n.pid > 0) to_stop.push_back(n.pid);
  }
  for (pid_t pid : read_pids(nodes_json)) to_stop.push_back(pid);
  for (pid_t pid : to_stop) kill(pid, SIGTERM);
  for (auto& n : nodes) {
    if (n.pid > 0) waitpid(n.pid, nullptr, 0);
  }
  std::printf("drl cluster: stopped\n");
  return 0;
}

}  // namespace

Handler register_cluster(CLI::App& app) {
  auto opts = std::make_shared<ClusterOptions>();
  auto* cmd = app.add_subcommand(
      "cluster",
      "Start a local cluster of N nodes on loopback, joined to each other, in the foreground.\n"
      "Node i (from 1) is n<i> on 127.0.0.1:<base-port + i - 1>, or with --base-host on\n"
      "<base-host + i - 1>:<base-port + i - 1>; DIR/nodes.json lists each node's id, pid,\n"
      "address, argv and log so scripts can kill and restart nodes. Ctrl-C, SIGTERM or SIGHUP\n"
      "stops them all; if drl cluster is killed (even with kill -9) its nodes stop too.\n"
      "Examples: drl cluster --nodes 3 --base-port 7000 --dir /tmp/drl\n"
      "          drl cluster --nodes 3 --base-host 127.0.0.11   # n1 127.0.0.11:7000, n2 "
      "127.0.0.12:7001, ...");
  cmd->add_option("--nodes,-n", opts->nodes, "Number of nodes")->check(CLI::Range(1, 64));
  cmd->add_option("--base-port,-p", opts->base_port, "Port of the first node; the others follow")
      ->check(CLI::Range(1, 65535 - 64))
      ->capture_default_str();
  cmd->add_option("--base-host", opts->base_host,
                  "IPv4 address of the first node; node i listens on base-host + i - 1 and sends\n"
                  "its peer traffic from there, so a firewall tells the nodes apart (all of\n"
                  "127.0.0.0/8 is loopback on Linux: 127.0.0.11 gives .11, .12, ...).\n"
                  "Default: every node on 127.0.0.1");
  cmd->add_option("--dir,-d", opts->dir, "Directory for nodes.json and the node logs")
      ->capture_default_str();
  cmd->add_option("--policies", opts->policies, "Policy file given to every node")
      ->check(CLI::ExistingFile);
  cmd->add_option("--cluster-key-file", opts->cluster_key_file,
                  "Cluster key file given to every node")
      ->check(CLI::ExistingFile);
  cmd->add_option("--replicas", opts->replicas, "Replicas per key (owner included)")
      ->check(CLI::Range(1, 16));
  cmd->add_option("--node-arg", opts->extra, "Extra argument passed to every node (repeatable)");
  return [opts] { return run_cluster(*opts); };
}

}  // namespace drl::cli
