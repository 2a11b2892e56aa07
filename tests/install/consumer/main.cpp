// Uses only the installed headers: a bad address is refused at construction, then a check of
// key argv[2] (limit 1 an hour) against the node argv[1] must be allowed, and a second denied.
#include <drl/client.h>
#include <drl/version.h>

#include <chrono>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: drl_consumer HOST:PORT KEY\n");
    return 2;
  }
  auto bad = drl::Client::create({.nodes = {"no-port-here"}});
  if (bad || bad.status().code() != drl::ResultCode::kInvalidArgument) {
    std::fprintf(stderr, "a bad address was not refused at construction\n");
    return 1;
  }
  auto client = drl::Client::create({.nodes = {argv[1]}});
  if (!client) {
    std::fprintf(stderr, "%s\n", client.status().message().c_str());
    return 1;
  }
  const drl::CheckSpec spec{.key = argv[2],
                            .limit = drl::InlineLimit{.limit = 1, .window = std::chrono::hours(1)}};
  const drl::CheckResult first = (*client)->check(spec);
  const drl::CheckResult second = (*client)->check(spec);
  std::printf("drl %s: first %s %s, second %s\n", drl::kVersion, drl::result_code_name(first.code),
              first.allowed ? "allowed" : "denied", second.allowed ? "allowed" : "denied");
  return first.code == drl::ResultCode::kOk && first.allowed && !second.allowed ? 0 : 1;
}
