#include "cli/client_tls_args.h"

namespace drl::cli {

void add_client_tls_options(CLI::App* cmd, ClientTlsArgs& args) {
  cmd->add_option("--tls-ca", args.ca,
                  "Talk TLS to the node and verify its certificate against this CA bundle "
                  "(PEM); the certificate must name the host of --server");
  cmd->add_option("--tls-cert", args.cert,
                  "TLS: this client's certificate (PEM), for nodes with --tls-client-auth");
  cmd->add_option("--tls-key", args.key, "TLS: the private key (PEM) of --tls-cert");
}

ClientTls client_tls_from(const ClientTlsArgs& args) {
  ClientTls t;
  t.enabled = !args.ca.empty() || !args.cert.empty() || !args.key.empty();
  t.ca_file = args.ca;
  t.cert_file = args.cert;
  t.key_file = args.key;
  return t;
}

}  // namespace drl::cli
