// Test helpers that run the real `drl` binary (path from env DRL_BIN, set by CTest):
// a NodeProcess starts `drl node` on a free port and kills it when it goes out of scope;
// run_drl() runs a CLI command and captures its stdout and exit code.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace drl::testing {

std::string drl_bin();

class NodeProcess {
 public:
  // Starts `drl node --listen 127.0.0.1:0 <extra>` and waits (polling, with a deadline)
  // until it listens. On failure, port() == 0 and error() says why.
  explicit NodeProcess(std::vector<std::string> extra_args = {});
  // Same, listening on `listen` (HOST:PORT; e.g. a restarted node taking its old port back).
  NodeProcess(std::vector<std::string> extra_args, const std::string& listen);
  ~NodeProcess();
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }
  const std::string& error() const { return error_; }
  // True while the process has not exited.
  bool alive();
  void signal(int signo);
  // Sends SIGTERM and waits up to `deadline`; returns the exit status or -1.
  int stop(std::chrono::milliseconds deadline = std::chrono::seconds(10));
  std::string log() const;  // what the node wrote on stderr

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string dir_, error_;
  bool exited_ = false;
  int status_ = 0;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
};
CommandResult run_drl(const std::vector<std::string>& args);
// The same with the command's stderr in `out` too (for its error messages).
CommandResult run_drl_with_errors(const std::vector<std::string>& args);
// Runs `command` with /bin/sh and returns its stdout; `exit_status` (when given) gets
// pclose()'s status (0 when the command exited 0).
std::string shell(const std::string& command, int* exit_status = nullptr);
// Reads a child's output from `out_fd` to its end (then closes it) and waits for the child
// `pid`; a pid below 0 (the fork failed) only closes the pipe.
CommandResult finish_command(pid_t pid, int out_fd);

void poll_pause();  // a short yield between polls (never a wait for a result)

// Polls `condition` until it holds or `deadline` passes; returns its last value.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    poll_pause();
  }
  return condition();
}

}  // namespace drl::testing
