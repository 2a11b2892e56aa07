#include "integration/support/node_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace drl::testing {

std::string drl_bin() {
  const char* bin = std::getenv("DRL_BIN");
  return bin ? bin : "drl";
}

void poll_pause() { std::this_thread::sleep_for(std::chrono::milliseconds(5)); }

namespace {

pid_t spawn(const std::vector<std::string>& args, int out_fd, int err_fd) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (out_fd >= 0) dup2(out_fd, 1);
    if (err_fd >= 0) dup2(err_fd, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

NodeProcess::NodeProcess(std::vector<std::string> extra_args)
    : NodeProcess(std::move(extra_args), "127.0.0.1:0") {}

NodeProcess::NodeProcess(std::vector<std::string> extra_args, const std::string& listen) {
  char tmpl[] = "/tmp/drl-node-test-XXXXXX";
  dir_ = mkdtemp(tmpl);
  const std::string port_file = dir_ + "/port";
  std::vector<std::string> args = {drl_bin(),   "node", "--listen",    listen,
                                   "--threads", "2",    "--port-file", port_file};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const int out = open((dir_ + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err = open((dir_ + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_ = spawn(args, out, err);
  close(out);
  close(err);
  const bool up = eventually([&] {
    if (!alive()) return true;
    std::ifstream f(port_file);
    unsigned p = 0;
    if (f >> p && p > 0) {
      port_ = static_cast<uint16_t>(p);
      return true;
    }
    return false;
  });
  if (!up || port_ == 0) error_ = "the node did not start: " + log();
}

NodeProcess::~NodeProcess() {
  if (pid_ > 0 && alive()) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  std::string cmd = "rm -rf '" + dir_ + "'";
  if (std::system(cmd.c_str()) != 0) {
  }
}

bool NodeProcess::alive() {
  if (exited_ || pid_ <= 0) return false;
  if (waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
  return !exited_;
}

void NodeProcess::signal(int signo) {
  if (alive()) ::kill(pid_, signo);
}

int NodeProcess::stop(std::chrono::milliseconds deadline) {
  signal(SIGTERM);
  if (!eventually([&] { return !alive(); }, deadline)) return -1;
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

std::string NodeProcess::log() const {
  std::ifstream f(dir_ + "/stderr");
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

CommandResult run_drl(const std::vector<std::string>& args) {
  CommandResult r;
  int fds[2];
  if (pipe(fds) != 0) return r;
  std::vector<std::string> full = {drl_bin()};
  full.insert(full.end(), args.begin(), args.end());
  const pid_t pid = spawn(full, fds[1], -1);
  close(fds[1]);
  return finish_command(pid, fds[0]);
}

std::string shell(const std::string& command, int* exit_status) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  if (exit_status != nullptr) *exit_status = status;
  return out;
}

CommandResult run_drl_with_errors(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  std::vector<std::string> full = {drl_bin()};
  full.insert(full.end(), args.begin(), args.end());
  const pid_t pid = spawn(full, fds[1], fds[1]);
  close(fds[1]);
  return finish_command(pid, fds[0]);
}

CommandResult finish_command(pid_t pid, int out_fd) {
  CommandResult r;
  if (pid < 0) {
    close(out_fd);
    return r;
  }
  char buf[4096];
  ssize_t n;
  while ((n = read(out_fd, buf, sizeof buf)) > 0) r.out.append(buf, static_cast<size_t>(n));
  close(out_fd);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace drl::testing
