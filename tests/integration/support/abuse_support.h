// Helpers for the abuse, authentication and cluster-key tests: a node's metrics page, its
// memory, raw client connections and temporary files. Blocking, for test threads only.
#pragma once
#include <sys/types.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "drl/client.pb.h"
#include "integration/support/node_process.h"

namespace drl::testing {

// The port of the node's metrics page, read from its log ("metrics on http://HOST:PORT/...");
// 0 when the node was started without --metrics.
uint16_t metrics_port(const NodeProcess& node);
// GET /metrics; "" when it fails.
std::string scrape(uint16_t port);
// GET `path` from the metrics port: the whole response (status line, headers, body); "" when
// it fails.
std::string http_get(uint16_t port, std::string_view path);
// One HTTP/1.0 request to 127.0.0.1:`port` (`headers`: extra lines, each ending in \r\n): the
// whole response; "" when it fails.
std::string http_request(uint16_t port, std::string_view method, std::string_view path,
                         std::string_view body = {}, std::string_view headers = {});
// The status code of a whole response (0 when it has none) and its body.
int http_status(std::string_view response);
std::string http_body(std::string_view response);
// The value of the sample `series` (e.g. `drl_errors_total{kind="io"}`) on a metrics page.
std::optional<double> metric(const std::string& page, std::string_view series);
// Reads metric() from a fresh scrape; -1 when absent.
double scrape_metric(uint16_t port, std::string_view series);

// VmRSS of a process, in KiB (0 when unreadable).
uint64_t rss_kib(pid_t pid);
// Raises this process's open-files soft limit to the hard one; returns the soft limit now.
uint64_t raise_open_files_limit();

// A file under /tmp removed with the object.
class TempFile {
 public:
  explicit TempFile(std::string_view contents = "");
  ~TempFile();
  void write(std::string_view contents) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One blocking TCP connection to 127.0.0.1:port speaking bytes or drl frames.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port);
  bool connected() const { return connected_; }
  void send(std::string_view bytes);
  // Reads one response frame; false when the node closed the connection first.
  bool read(wire::Response& out);
  // Reads whatever arrives until the node closes the connection; false on another error.
  bool read_until_closed(std::string& out);
  // True once the node has closed the connection (reads return EOF or a reset).
  bool closed_by_peer();
  asio::ip::tcp::socket& socket() { return socket_; }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  bool connected_ = false;
};

// A drl frame (4-byte big-endian length + payload).
std::string frame(std::string_view payload);

}  // namespace drl::testing
