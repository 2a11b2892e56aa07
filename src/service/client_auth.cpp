#include "service/client_auth.h"

#include <sodium.h>

#include <fstream>
#include <set>
#include <sstream>

#include "common/config_lines.h"

namespace drl::service {
namespace {

bool valid_token(std::string_view t) {
  if (t.size() < kMinClientTokenBytes || t.size() > kMaxClientTokenBytes) return false;
  for (char c : t) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

ClientTokens::Digest ClientTokens::digest_of(std::string_view token) {
  Digest d{};
  crypto_generichash(d.data(), d.size(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return d;
}

std::string ClientTokens::parse(std::string_view text, ClientTokens& out) {
  if (sodium_init() < 0) return "libsodium could not be initialised";
  out.entries_.clear();
  std::set<Digest> digests;
  std::set<std::string> names;
  auto err = config_lines::for_each(text, [&](size_t number, std::string_view line) -> std::string {
    const auto fields = config_lines::fields(line);
    const std::string where = "line " + std::to_string(number);
    if (fields.size() > 2) {
      return where + ": expected 'TOKEN' or 'NAME TOKEN', found " + std::to_string(fields.size()) +
             " fields";
    }
    const std::string_view token = fields.back();
    std::string name =
        fields.size() == 2 ? std::string(fields[0]) : "line-" + std::to_string(number);
    if (!valid_token(token)) {
      return where + ": a token must be " + std::to_string(kMinClientTokenBytes) + " to " +
             std::to_string(kMaxClientTokenBytes) +
             " printable characters without spaces (e.g. `openssl rand -hex 32`)";
    }
    if (!valid_name(name)) {
      return where + ": a client name must be 1 to 64 of the characters A-Z a-z 0-9 _ . -";
    }
    Entry e;
    e.digest = digest_of(token);
    if (!digests.insert(e.digest).second) return where + ": the same token appears twice";
    if (!names.insert(name).second) return where + ": the client name '" + name + "' is taken";
    e.name = std::move(name);
    e.accepted = std::make_shared<std::atomic<uint64_t>>(0);
    out.entries_.push_back(std::move(e));
    return "";
  });
  if (!err.empty()) return err;
  if (out.entries_.empty()) return "the file holds no token (an empty file would refuse everyone)";
  return "";
}

int ClientTokens::find(std::string_view token) const {
  if (token.empty()) return -1;
  const Digest d = digest_of(token);
  int found = -1;
  // No early exit: the time taken does not depend on which entry matched.
  for (size_t i = 0; i < entries_.size(); ++i) {
    const bool same = sodium_memcmp(d.data(), entries_[i].digest.data(), d.size()) == 0;
    found = same ? static_cast<int>(i) : found;
  }
  return found;
}

void ClientTokens::adopt_counters(const ClientTokens& previous) {
  for (auto& e : entries_) {
    for (const auto& p : previous.entries_) {
      if (p.name == e.name) e.accepted = p.accepted;
    }
  }
}

std::string ClientAuth::load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return "cannot read " + path;
  std::stringstream contents;
  contents << f.rdbuf();
  auto next = std::make_shared<ClientTokens>();
  if (auto err = ClientTokens::parse(contents.str(), *next); !err.empty()) return err;
  next->adopt_counters(*current());
  current_.store(std::move(next), std::memory_order_release);
  path_ = path;
  return "";
}

std::string ClientAuth::reload() { return load(path_); }

bool ClientAuth::verify(std::string_view token) const {
  const auto tokens = current();
  const int i = tokens->find(token);
  if (i < 0) return false;
  tokens->count_accepted(static_cast<size_t>(i));
  return true;
}

}  // namespace drl::service
