// The one place that turns TLS files (PEM certificate chain, private key, CA bundle) into
// OpenSSL contexts, for every door of the node, its peer links and the client library.
// Errors are values naming the file and what is wrong with it (missing, unreadable, not PEM,
// key not matching the certificate), so a node refuses to start with a sentence an operator
// can act on. I/O shell only (OpenSSL through asio's ssl).
#pragma once
#include <asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "drl/status.h"

namespace drl::tls {

// What the flags --tls-cert, --tls-key, --tls-ca and --tls-client-auth say.
struct TlsFiles {
  std::string cert;  // PEM certificate chain (this side's); empty: TLS off (server side)
  std::string key;   // PEM private key of `cert`
  std::string ca;    // PEM CA bundle that signs the other side's certificate
  bool require_client_cert = false;  // server side: refuse a client without a certificate
  bool enabled() const { return !cert.empty() || !key.empty(); }
};

using Context = asio::ssl::context;

// A server context: TLS 1.2 or later, `cert` and `key` (both required, and matching). With a
// `ca`, a client certificate is asked for and, when sent, must chain to it; with
// require_client_cert a client without one is refused (then `ca` is required).
Result<std::shared_ptr<Context>> load_server_context(const TlsFiles& files);

// A client context: verifies the server's certificate against `ca` (the system's CA store
// when empty); presents `cert`/`key` when given (mutual TLS). Hostname checks are the
// connection's business (verify_host_name).
Result<std::shared_ptr<Context>> load_client_context(const TlsFiles& files);

// A node's contexts, server and client side, from one TlsFiles; reload() swaps both for
// contexts loaded from the same paths again (SIGHUP). Connections made before keep the
// contexts they were made with. Thread-safe.
class NodeContexts {
 public:
  // Loads both; an error names the file.
  static Result<std::shared_ptr<NodeContexts>> load(TlsFiles files);
  // Loads the files again; on error keeps the contexts in use and says why.
  Status reload();
  std::shared_ptr<Context> server() const;
  std::shared_ptr<Context> client() const;
  const TlsFiles& files() const { return files_; }

 private:
  explicit NodeContexts(TlsFiles files) : files_(std::move(files)) {}
  TlsFiles files_;
  mutable std::mutex mu_;
  std::shared_ptr<Context> server_;  // guarded by mu_
  std::shared_ptr<Context> client_;  // guarded by mu_
};

// Makes `ctx` (an OpenSSL server context a third-party server owns, e.g. the HTTP door's) serve
// what `contexts` holds at each handshake: the certificate, key, chain and CA in force, so a
// SIGHUP reload reaches its new connections too. TLS 1.2 or later, the client certificate
// asked for (and required) as in the node's server context. `contexts` must outlive `ctx`.
void follow_server_contexts(SSL_CTX& ctx, const NodeContexts& contexts);

// What OpenSSL's last error says, or `fallback`; clears OpenSSL's error queue.
std::string last_openssl_error(const std::string& fallback);

}  // namespace drl::tls
