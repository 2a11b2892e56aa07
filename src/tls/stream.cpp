#include "tls/stream.h"

#include <asio/ssl/error.hpp>

namespace drl::tls {

std::string describe_handshake_error(const std::error_code& ec) {
  if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof) {
    return "the other side closed the connection during the handshake (it refused this "
           "side's certificate, or speaks no TLS)";
  }
  std::string text = ec.message();
  // OpenSSL's reason strings ("certificate verify failed") are the useful part.
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (reason != nullptr) text = reason;
  }
  return text;
}

}  // namespace drl::tls
