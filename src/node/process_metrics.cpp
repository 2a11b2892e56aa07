#include "node/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace drl::node {
namespace {

// Fields of /proc/self/stat after the command name (which may hold spaces), from field 3.
std::vector<std::string> stat_fields() {
  std::ifstream f("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  std::vector<std::string> out;
  if (paren == std::string::npos) return out;
  std::istringstream rest(text.substr(paren + 1));
  for (std::string w; rest >> w;) out.push_back(w);
  return out;
}

// Seconds since the epoch at which the system booted (/proc/stat btime).
double boot_time() {
  std::ifstream f("/proc/stat");
  for (std::string key; f >> key;) {
    if (key == "btime") {
      double t = 0;
      f >> t;
      return t;
    }
    f.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

void render_process_metrics(service::PrometheusText& t) {
  const auto fields = stat_fields();
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // Fields from 3 (state) on: utime is 14, stime 15, starttime 22, vsize 23, rss 24.
  auto field = [&](size_t n) { return n - 3 < fields.size() ? std::stod(fields[n - 3]) : 0.0; };
  if (fields.size() >= 22) {
    t.help("process_cpu_seconds_total", "counter", "User and system CPU time spent, seconds.");
    t.sample("process_cpu_seconds_total", {}, (field(14) + field(15)) / tick);
    t.help("process_start_time_seconds", "gauge", "Start time since the Unix epoch, seconds.");
    t.sample("process_start_time_seconds", {}, boot_time() + field(22) / tick);
    t.help("process_virtual_memory_bytes", "gauge", "Virtual memory size, bytes.");
    t.sample("process_virtual_memory_bytes", {}, field(23));
    t.help("process_resident_memory_bytes", "gauge", "Resident memory size, bytes.");
    t.sample("process_resident_memory_bytes", {}, field(24) * page);
  }
  std::error_code ec;
  uint64_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++fds;
  }
  t.help("process_open_fds", "gauge", "Open file descriptors.");
  t.sample("process_open_fds", {}, fds);
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    t.help("process_max_fds", "gauge", "The limit on open file descriptors.");
    t.sample("process_max_fds", {}, static_cast<uint64_t>(rl.rlim_cur));
  }
}

void render_build_info(service::PrometheusText& t) {
  t.help("drl_build_info", "gauge", "Always 1; the labels say which drl this is.");
#ifdef NDEBUG
  const char* build = "release";
#else
  const char* build = "debug";
#endif
  t.sample("drl_build_info", {{"version", DRL_VERSION}, {"build", build}}, uint64_t{1});
}

}  // namespace drl::node
