// The client side's TLS flags, the same for every subcommand that talks to a node (check,
// status, policy, bench): --tls-ca, --tls-cert, --tls-key. Any of them turns TLS on.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "drl/client.h"

namespace drl::cli {

struct ClientTlsArgs {
  std::string ca, cert, key;
};

void add_client_tls_options(CLI::App* cmd, ClientTlsArgs& args);
ClientTls client_tls_from(const ClientTlsArgs& args);

}  // namespace drl::cli
