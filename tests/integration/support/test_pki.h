// A throwaway certificate authority for TLS tests: a CA key and certificate, and certificates
// it signs, made with the openssl CLI in a directory of its own that goes with the object.
// Every certificate names 127.0.0.1 and localhost and serves as server and client certificate.
#pragma once
#include <string>

namespace drl::testing {

struct IssuedCert {
  std::string cert, key;  // PEM files
};

class TestPki {
 public:
  explicit TestPki(const std::string& name = "drl test CA");
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  // "" when the CA was made; else what failed.
  const std::string& error() const { return error_; }
  const std::string& ca() const { return ca_; }  // the CA certificate (PEM)
  const std::string& dir() const { return dir_; }
  // A certificate for common name `name`, signed by this CA; files named after `name`.
  // Empty files (and error() set) when openssl failed.
  IssuedCert issue(const std::string& name);

 private:
  std::string dir_, ca_, ca_key_, error_;
};

}  // namespace drl::testing
