// `drl cluster` as a supervisor, and the CLI as an operator meets it: the nodes stop with the
// supervisor on SIGHUP (a closed terminal) and die with it on kill -9; plain `drl` and
// `drl version` answer; sizes with suffixes reach the node; a window without a limit is refused
// before any node is asked.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "integration/support/cluster_support.h"

namespace drl {
namespace {

using testing::eventually;

// False once `pid` has exited (a zombie nobody reaps counts as exited).
bool process_running(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// A `drl cluster` of `n` nodes in a temporary directory, with the pids of its nodes.
struct Supervisor {
  explicit Supervisor(int n) {
    const uint16_t base = testing::free_base_port(n);
    char tmpl[] = "/tmp/drl-supervisor-test-XXXXXX";
    dir = mkdtemp(tmpl);
    if (base == 0) return;
    pid = fork();
    if (pid == 0) {
      const std::string bin = testing::drl_bin(), port = std::to_string(base),
                        nodes = std::to_string(n);
      const int devnull = ::open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      execl(bin.c_str(), bin.c_str(), "cluster", "--nodes", nodes.c_str(), "--base-port",
            port.c_str(), "--dir", dir.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    eventually([&] {
      std::ifstream f(dir + "/nodes.json");
      std::stringstream s;
      s << f.rdbuf();
      const std::string text = s.str();
      node_pids.clear();
      for (size_t at = text.find("\"pid\":"); at != std::string::npos;
           at = text.find("\"pid\":", at + 1)) {
        node_pids.push_back(static_cast<pid_t>(std::stol(text.substr(at + 6))));
      }
      if (node_pids.size() != static_cast<size_t>(n)) return false;
      for (pid_t p : node_pids) {
        if (!process_running(p)) return false;
      }
      return true;
    });
  }
  ~Supervisor() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    for (pid_t p : node_pids) ::kill(p, SIGKILL);
    std::filesystem::remove_all(dir);
  }
  bool nodes_gone() {
    for (pid_t p : node_pids) {
      if (process_running(p)) return false;
    }
    return true;
  }
  std::string dir;
  pid_t pid = -1;
  std::vector<pid_t> node_pids;
};

TEST(Supervisor, SighupStopsTheNodes) {
  Supervisor s(2);
  ASSERT_GT(s.pid, 0);
  ASSERT_EQ(s.node_pids.size(), 2u) << "nodes.json never listed 2 live nodes";
  ::kill(s.pid, SIGHUP);
  int status = 0;
  ASSERT_TRUE(eventually([&] { return waitpid(s.pid, &status, WNOHANG) == s.pid; },
                         std::chrono::seconds(20)))
      << "drl cluster did not exit on SIGHUP";
  s.pid = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  EXPECT_TRUE(s.nodes_gone()) << "drl cluster exited and left its nodes running";
}

TEST(Supervisor, NodesDieWithAKilledSupervisor) {
  Supervisor s(2);
  ASSERT_GT(s.pid, 0);
  ASSERT_EQ(s.node_pids.size(), 2u) << "nodes.json never listed 2 live nodes";
  ::kill(s.pid, SIGKILL);
  waitpid(s.pid, nullptr, 0);
  s.pid = -1;
  EXPECT_TRUE(eventually([&] { return s.nodes_gone(); }, std::chrono::seconds(20)))
      << "kill -9 of drl cluster orphaned its nodes";
}

TEST(Cli, PlainDrlPrintsHelpAndVersionPrintsTheVersion) {
  const auto plain = testing::run_drl({});
  EXPECT_EQ(plain.exit_code, 0) << plain.out;
  for (const char* sub : {"node", "cluster", "check", "status", "bench", "version"}) {
    EXPECT_NE(plain.out.find(sub), std::string::npos) << sub << " in " << plain.out;
  }
  const auto version = testing::run_drl({"version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, std::string("drl ") + DRL_VERSION + "\n");
}

TEST(Cli, WindowWithoutLimitIsRefusedLocally) {
  // Port 1 has no node: an answer about the arguments proves no node was asked.
  const auto r =
      testing::run_drl_with_errors({"check", "--server", "127.0.0.1:1", "k", "--window", "1s"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--window needs --limit"), std::string::npos) << r.out;
  const auto negative = testing::run_drl_with_errors(
      {"check", "--server", "127.0.0.1:1", "k", "--window", "1s", "--limit", "-5"});
  EXPECT_EQ(negative.exit_code, 2);
  EXPECT_NE(negative.out.find("must not be negative"), std::string::npos) << negative.out;
}

TEST(Cli, MaxMemoryTakesASuffix) {
  testing::NodeProcess node({"--max-memory", "256M"});
  ASSERT_NE(node.port(), 0) << node.error();
  wire::StatusResponse s;
  ASSERT_TRUE(testing::fetch_status(node.address(), s));
  EXPECT_EQ(s.max_memory_bytes(), 256ull << 20);
}

}  // namespace
}  // namespace drl
