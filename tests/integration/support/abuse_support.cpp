#include "integration/support/abuse_support.h"

#include <sys/resource.h>
#include <unistd.h>

#include <asio/read.hpp>
#include <asio/write.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "service/frame.h"

namespace drl::testing {

uint16_t metrics_port(const NodeProcess& node) {
  const std::string log = node.log();
  const std::string marker = "metrics on http://";
  const auto at = log.find(marker);
  if (at == std::string::npos) return 0;
  const auto colon = log.find(':', at + marker.size());
  if (colon == std::string::npos) return 0;
  return static_cast<uint16_t>(std::strtoul(log.c_str() + colon + 1, nullptr, 10));
}

std::string scrape(uint16_t port) { return http_get(port, "/metrics"); }

std::string http_get(uint16_t port, std::string_view path) {
  return http_request(port, "GET", path);
}

std::string http_request(uint16_t port, std::string_view method, std::string_view path,
                         std::string_view body, std::string_view headers) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  std::error_code ec;
  s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return "";
  std::string request = std::string(method) + " " + std::string(path) +
                        " HTTP/1.0\r\nHost: 127.0.0.1\r\n" + std::string(headers);
  if (!body.empty() || method == "POST") {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n";
  request += body;
  asio::write(s, asio::buffer(request), ec);
  if (ec) return "";
  std::string out;
  char buf[8192];
  for (;;) {
    const size_t n = s.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

int http_status(std::string_view response) {
  const size_t space = response.find(' ');
  if (response.substr(0, 5) != "HTTP/" || space == std::string_view::npos) return 0;
  return std::atoi(std::string(response.substr(space + 1, 3)).c_str());
}

std::string http_body(std::string_view response) {
  const size_t at = response.find("\r\n\r\n");
  return at == std::string_view::npos ? std::string() : std::string(response.substr(at + 4));
}

std::optional<double> metric(const std::string& page, std::string_view series) {
  size_t at = 0;
  while ((at = page.find(series, at)) != std::string::npos) {
    const bool line_start = at == 0 || page[at - 1] == '\n';
    const size_t after = at + series.size();
    if (line_start && after < page.size() && page[after] == ' ') {
      return std::strtod(page.c_str() + after + 1, nullptr);
    }
    at = after;
  }
  return std::nullopt;
}

double scrape_metric(uint16_t port, std::string_view series) {
  return metric(scrape(port), series).value_or(-1);
}

uint64_t rss_kib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

uint64_t raise_open_files_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

TempFile::TempFile(std::string_view contents) {
  char name[] = "/tmp/drl-abuse-XXXXXX";
  const int fd = mkstemp(name);
  if (fd >= 0) close(fd);
  path_ = name;
  write(contents);
}

TempFile::~TempFile() { std::remove(path_.c_str()); }

void TempFile::write(std::string_view contents) const {
  std::ofstream(path_, std::ios::trunc | std::ios::binary) << contents;
}

RawConnection::RawConnection(uint16_t port) : socket_(io_) {
  std::error_code ec;
  socket_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  connected_ = !ec;
}

void RawConnection::send(std::string_view bytes) {
  std::error_code ec;
  asio::write(socket_, asio::buffer(bytes), ec);
}

bool RawConnection::read(wire::Response& out) {
  uint8_t header[4];
  std::error_code ec;
  asio::read(socket_, asio::buffer(header), ec);
  if (ec) return false;
  std::string body(service::read_be32(header), '\0');
  asio::read(socket_, asio::buffer(body), ec);
  return !ec && out.ParseFromString(body);
}

bool RawConnection::read_until_closed(std::string& out) {
  char buf[4096];
  for (;;) {
    std::error_code ec;
    const size_t n = socket_.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
    if (ec) return false;
  }
}

bool RawConnection::closed_by_peer() {
  std::string ignored;
  return read_until_closed(ignored);
}

std::string frame(std::string_view payload) {
  std::string out(4, '\0');
  service::write_be32(reinterpret_cast<uint8_t*>(out.data()),
                      static_cast<uint32_t>(payload.size()));
  out.append(payload);
  return out;
}

}  // namespace drl::testing
