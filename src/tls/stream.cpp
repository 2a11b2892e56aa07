#include "tls/stream.h"

#include <asio/ssl/error.hpp>
#include <climits>

namespace drl::tls {

size_t read_received_records(SSL* ssl, char* at, size_t room) {
  size_t got = 0;
  while (got < room) {
    ERR_clear_error();
    const int n = SSL_read(ssl, at + got, static_cast<int>(std::min<size_t>(room - got, INT_MAX)));
    if (n <= 0) {
      // Nothing more received (SSL_ERROR_WANT_READ), or an error or a close: asio's next
      // SSL_read meets the same state and reports it.
      ERR_clear_error();
      break;
    }
    got += static_cast<size_t>(n);
  }
  return got;
}

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
