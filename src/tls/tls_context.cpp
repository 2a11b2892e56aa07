#include "tls/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace drl::tls {
namespace {

constexpr unsigned char kSessionIdContext[] = "drl";

Status invalid(std::string message) {
  return Status(ResultCode::kInvalidArgument, std::move(message));
}

// "" when `path` can be opened for reading, else why not (named after the flag).
std::string unreadable(const char* flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (in) return "";
  return std::string(flag) + " " + path + ": " + std::strerror(errno);
}

Result<std::shared_ptr<Context>> new_context(Context::method method) {
  std::error_code ec;
  auto ctx = std::make_shared<Context>(method);
  // TLS 1.2 at least; everything older is broken or deprecated (RFC 8996).
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(Context::default_workarounds | Context::no_compression, ec);
  if (ec) return invalid("TLS: " + ec.message());
  return ctx;
}

Status use_identity(Context& ctx, const TlsFiles& files) {
  if (files.cert.empty() || files.key.empty()) {
    return invalid("TLS needs both --tls-cert and --tls-key (only one was given)");
  }
  for (auto [flag, path] : {std::pair{"--tls-cert", &files.cert}, {"--tls-key", &files.key}}) {
    if (auto why = unreadable(flag, *path); !why.empty()) return invalid(why);
  }
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx.native_handle(), files.cert.c_str()) != 1) {
    return invalid("--tls-cert " + files.cert + ": not a PEM certificate (" +
                   last_openssl_error("unreadable") + ")");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.native_handle(), files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      return invalid("--tls-key " + files.key + " does not match the certificate in --tls-cert " +
                     files.cert + " (" + last_openssl_error("mismatch") + ")");
    }
    return invalid("--tls-key " + files.key + ": not a PEM private key (" +
                   last_openssl_error("unreadable") + ")");
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    return invalid("--tls-key " + files.key + " does not match the certificate in --tls-cert " +
                   files.cert + " (" + last_openssl_error("mismatch") + ")");
  }
  return Status::ok();
}

Status use_ca(Context& ctx, const std::string& ca) {
  if (auto why = unreadable("--tls-ca", ca); !why.empty()) return invalid(why);
  ERR_clear_error();
  if (SSL_CTX_load_verify_locations(ctx.native_handle(), ca.c_str(), nullptr) != 1) {
    return invalid("--tls-ca " + ca + ": no PEM certificate in it (" +
                   last_openssl_error("unreadable") + ")");
  }
  return Status::ok();
}

}  // namespace

std::string last_openssl_error(const std::string& fallback) {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? fallback : out;
}

Result<std::shared_ptr<Context>> load_server_context(const TlsFiles& files) {
  auto ctx = new_context(Context::tls_server);
  if (!ctx) return ctx.status();
  if (Status s = use_identity(**ctx, files); !s.is_ok()) return s;
  SSL_CTX_set_session_id_context((*ctx)->native_handle(), kSessionIdContext,
                                 sizeof kSessionIdContext - 1);
  if (files.require_client_cert && files.ca.empty()) {
    return invalid("--tls-client-auth needs --tls-ca: the CA that signs the clients' certificates");
  }
  if (!files.ca.empty()) {
    if (Status s = use_ca(**ctx, files.ca); !s.is_ok()) return s;
    SSL_CTX_set_client_CA_list((*ctx)->native_handle(), SSL_load_client_CA_file(files.ca.c_str()));
    std::error_code ec;
    (*ctx)->set_verify_mode(
        Context::verify_peer |
            (files.require_client_cert ? Context::verify_fail_if_no_peer_cert : 0),
        ec);
    if (ec) return invalid("TLS: " + ec.message());
  }
  return ctx;
}

Result<std::shared_ptr<Context>> load_client_context(const TlsFiles& files) {
  auto ctx = new_context(Context::tls_client);
  if (!ctx) return ctx.status();
  if (!files.cert.empty() || !files.key.empty()) {
    if (Status s = use_identity(**ctx, files); !s.is_ok()) return s;
  }
  std::error_code ec;
  if (files.ca.empty()) {
    (*ctx)->set_default_verify_paths(ec);
    if (ec) return invalid("TLS: the system's CA store: " + ec.message());
  } else if (Status s = use_ca(**ctx, files.ca); !s.is_ok()) {
    return s;
  }
  (*ctx)->set_verify_mode(Context::verify_peer, ec);
  if (ec) return invalid("TLS: " + ec.message());
  return ctx;
}

Result<std::shared_ptr<NodeContexts>> NodeContexts::load(TlsFiles files) {
  std::shared_ptr<NodeContexts> out(new NodeContexts(std::move(files)));
  if (Status s = out->reload(); !s.is_ok()) return s;
  return out;
}

Status NodeContexts::reload() {
  auto server = load_server_context(files_);
  if (!server) return server.status();
  // Peer links present the node's own certificate: mutual TLS between nodes.
  auto client = load_client_context(files_);
  if (!client) return client.status();
  std::lock_guard lock(mu_);
  server_ = std::move(*server);
  client_ = std::move(*client);
  return Status::ok();
}

std::shared_ptr<Context> NodeContexts::server() const {
  std::lock_guard lock(mu_);
  return server_;
}

std::shared_ptr<Context> NodeContexts::client() const {
  std::lock_guard lock(mu_);
  return client_;
}

namespace {

// SSL_CTX_set_cert_cb's callback: the handshake takes the certificate, key, chain and CA of the
// node's server context in force now.
int use_current_server_context(SSL* ssl, void* contexts) {
  const std::shared_ptr<Context> current = static_cast<const NodeContexts*>(contexts)->server();
  SSL_CTX* from = current->native_handle();
  X509* cert = SSL_CTX_get0_certificate(from);
  EVP_PKEY* key = SSL_CTX_get0_privatekey(from);
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(from, &chain);
  if (cert == nullptr || key == nullptr || SSL_use_certificate(ssl, cert) != 1 ||
      SSL_use_PrivateKey(ssl, key) != 1 || SSL_set1_chain(ssl, chain) != 1 ||
      SSL_set1_verify_cert_store(ssl, SSL_CTX_get_cert_store(from)) != 1) {
    return 0;
  }
  return 1;
}

}  // namespace

void follow_server_contexts(SSL_CTX& ctx, const NodeContexts& contexts) {
  SSL_CTX* from = contexts.server()->native_handle();
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_session_id_context(&ctx, kSessionIdContext, sizeof kSessionIdContext - 1);
  SSL_CTX_set_verify(&ctx, SSL_CTX_get_verify_mode(from), nullptr);
  if (STACK_OF(X509_NAME)* names = SSL_CTX_get_client_CA_list(from)) {
    SSL_CTX_set_client_CA_list(&ctx, SSL_dup_CA_list(names));
  }
  SSL_CTX_set_cert_cb(&ctx, use_current_server_context, const_cast<NodeContexts*>(&contexts));
}

}  // namespace drl::tls
