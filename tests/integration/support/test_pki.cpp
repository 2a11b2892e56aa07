#include "integration/support/test_pki.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "integration/support/node_process.h"

namespace drl::testing {
namespace {

constexpr const char* kNewKey = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

}  // namespace

TestPki::TestPki(const std::string& name) {
  char tmpl[] = "/tmp/drl-pki-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = tmpl;
  ca_ = dir_ + "/ca.pem";
  ca_key_ = dir_ + "/ca.key";
  int status = 0;
  shell(std::string("openssl req -x509 ") + kNewKey + " -keyout " + ca_key_ + " -out " + ca_ +
            " -days 2 -subj '/CN=" + name +
            "' -addext basicConstraints=critical,CA:TRUE"
            " -addext keyUsage=critical,keyCertSign,cRLSign 2>&1",
        &status);
  if (status != 0) error_ = "openssl could not make the CA in " + dir_;
}

TestPki::~TestPki() {
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

IssuedCert TestPki::issue(const std::string& name) {
  IssuedCert out{dir_ + "/" + name + ".pem", dir_ + "/" + name + ".key"};
  const std::string csr = dir_ + "/" + name + ".csr", ext = dir_ + "/" + name + ".ext";
  std::ofstream(ext) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                        "extendedKeyUsage=serverAuth,clientAuth\n"
                        "basicConstraints=CA:FALSE\n";
  int status = 0;
  shell(std::string("openssl req ") + kNewKey + " -keyout " + out.key + " -out " + csr +
            " -subj '/CN=" + name + "' 2>&1 && openssl x509 -req -in " + csr + " -CA " + ca_ +
            " -CAkey " + ca_key_ + " -CAcreateserial -days 2 -extfile " + ext + " -out " +
            out.cert + " 2>&1",
        &status);
  if (status != 0) {
    error_ = "openssl could not issue a certificate for " + name;
    return {};
  }
  return out;
}

}  // namespace drl::testing
