#include "service/resp_commands.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "service/resp_encoder.h"

namespace drl::service {
namespace {

bool equals_ci(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

// A signed 64-bit decimal, an optional leading '+' or '-' allowed (as redis-cell parses).
bool parse_i64(std::string_view s, int64_t& out) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (s.size() > 64) out += "...";
  return out;
}

void wrong_arity(std::string& out, std::string_view name) {
  resp::append_error(out, "ERR wrong number of arguments for '" + printable(name) + "' command");
}

void not_integer(std::string& out, std::string_view what, std::string_view arg) {
  resp::append_error(out, "ERR " + std::string(what) + " is not an integer: " + printable(arg));
}

bool check_key(std::string& out, std::string_view key) {
  if (key.size() > kMaxKeyBytes) {
    resp::append_error(out, "ERR key is longer than 4096 bytes");
    return false;
  }
  return true;
}

// CL.THROTTLE key max_burst count period [quantity]: GCRA with emission interval
// period/count and capacity max_burst + 1, i.e. our token bucket with limit = count,
// window = period seconds, burst = max_burst + 1.
RespPlan plan_throttle(std::span<const std::string_view> args, std::string& out) {
  RespPlan plan;
  if (args.size() != 5 && args.size() != 6) {
    resp::append_error(out,
                       "ERR wrong number of arguments for 'cl.throttle' command; usage: "
                       "CL.THROTTLE key max_burst count period [quantity]");
    return plan;
  }
  int64_t max_burst = 0, count = 0, period = 0, quantity = 1;
  if (!parse_i64(args[2], max_burst)) return not_integer(out, "max_burst", args[2]), plan;
  if (!parse_i64(args[3], count)) return not_integer(out, "count", args[3]), plan;
  if (!parse_i64(args[4], period)) return not_integer(out, "period", args[4]), plan;
  if (args.size() == 6 && !parse_i64(args[5], quantity)) {
    return not_integer(out, "quantity", args[5]), plan;
  }
  const auto max_count = static_cast<int64_t>(limits::kMaxCount);
  if (max_burst < 0 || max_burst >= max_count) {
    resp::append_error(out, "ERR max_burst must be between 0 and 4294967294");
  } else if (count <= 0 || count > max_count) {
    resp::append_error(out,
                       "ERR count must be between 1 and 4294967295 (zero rates are not "
                       "supported)");
  } else if (period <= 0 || period > limits::kMaxWindow / kSecond) {
    resp::append_error(out, "ERR period must be between 1 and " +
                                std::to_string(limits::kMaxWindow / kSecond) + " seconds");
  } else if (quantity < 0 || quantity > max_count) {
    resp::append_error(out, "ERR quantity must be between 0 and 4294967295");
  } else if (check_key(out, args[1])) {
    plan.verb = RespVerb::kThrottle;
    plan.call.key = args[1];
    plan.call.has_inline = true;
    plan.call.limit.algorithm = limits::Algorithm::kTokenBucket;
    plan.call.limit.limit = static_cast<uint64_t>(count);
    plan.call.limit.window = period * kSecond;
    plan.call.limit.burst = static_cast<uint64_t>(max_burst) + 1;
    plan.call.request.cost = static_cast<uint64_t>(quantity);
  }
  return plan;
}

// DRL.CHECK policy key [cost]
RespPlan plan_check(std::span<const std::string_view> args, std::string& out) {
  RespPlan plan;
  if (args.size() != 3 && args.size() != 4) {
    resp::append_error(out,
                       "ERR wrong number of arguments for 'drl.check' command; usage: "
                       "DRL.CHECK policy key [cost]");
    return plan;
  }
  int64_t cost = 1;
  if (args.size() == 4 && !parse_i64(args[3], cost)) return not_integer(out, "cost", args[3]), plan;
  if (cost < 0 || cost > static_cast<int64_t>(limits::kMaxCount)) {
    resp::append_error(out, "ERR cost must be between 0 and 4294967295");
  } else if (args[2].empty()) {
    resp::append_error(out, "ERR key is empty");
  } else if (check_key(out, args[2])) {
    plan.verb = RespVerb::kCheck;
    plan.call.policy = args[1];
    plan.call.key = args[2];
    plan.call.request.cost = static_cast<uint64_t>(cost);
  }
  return plan;
}

// Redis's rule for client names and library names: printable ASCII without spaces.
bool plain_word(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '!' && c <= '~'; });
}

bool set_client_name(std::string& out, RespConnection& conn, std::string_view name) {
  if (!plain_word(name)) {
    resp::append_error(out,
                       "ERR Client names cannot contain spaces, newlines or special characters.");
    return false;
  }
  conn.name = name;
  return true;
}

// HELLO [protover [AUTH username password] [SETNAME name]]: RESP2 only. The token of AUTH is
// checked by the session before this runs (RespSession::auth_command); here it is skipped.
void plan_hello(std::span<const std::string_view> args, RespConnection& conn, std::string& out) {
  if (args.size() >= 2) {
    int64_t version = 0;
    if (!parse_i64(args[1], version)) {
      return resp::append_error(out, "ERR Protocol version is not an integer or out of range");
    }
    // Redis's reply to a version it does not speak; clients fall back to RESP2 on it. Only
    // "2" itself is 2 (the session lets any other spelling through before AUTH).
    if (args[1] != "2") return resp::append_error(out, "NOPROTO unsupported protocol version");
  }
  std::string_view name;
  bool naming = false;
  for (size_t i = 2; i < args.size(); ++i) {
    const size_t left = args.size() - i - 1;
    if (equals_ci(args[i], "auth") && left >= 2) {
      i += 2;
    } else if (equals_ci(args[i], "setname") && left >= 1) {
      name = args[++i];
      naming = true;
    } else {
      return resp::append_error(out,
                                "ERR Syntax error in HELLO option '" + printable(args[i]) + "'");
    }
  }
  if (naming && !set_client_name(out, conn, name)) return;
  resp::append_array_header(out, 14);
  resp::append_bulk(out, "server");
  resp::append_bulk(out, "drl");
  resp::append_bulk(out, "version");
  resp::append_bulk(out, kRedisCompatVersion);
  resp::append_bulk(out, "proto");
  resp::append_integer(out, 2);
  resp::append_bulk(out, "id");
  resp::append_integer(out, static_cast<int64_t>(conn.id));
  resp::append_bulk(out, "mode");
  resp::append_bulk(out, "standalone");
  resp::append_bulk(out, "role");
  resp::append_bulk(out, "master");
  resp::append_bulk(out, "modules");
  resp::append_array_header(out, 0);
}

// Redis's CLIENT INFO line, every field Redis 7.2 gives (client libraries parse some of them
// as integers); those drl does not track are zero.
std::string client_info_line(const RespConnection& conn) {
  return "id=" + std::to_string(conn.id) + " addr=" + conn.address + " laddr=" + conn.local +
         " fd=-1 name=" + conn.name + " age=" + std::to_string(conn.age_seconds) +
         " idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0"
         " multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=client|info"
         " user=default redir=-1 resp=2 lib-name=" +
         conn.lib_name + " lib-ver=" + conn.lib_version + "\n";
}

// CLIENT ID | GETNAME | SETNAME name | INFO | SETINFO LIB-NAME|LIB-VER value
void plan_client(std::span<const std::string_view> args, RespConnection& conn, std::string& out) {
  if (args.size() < 2) return wrong_arity(out, "client");
  const std::string_view sub = args[1];
  const auto arity = [&](size_t n) {
    if (args.size() == n) return true;
    std::string lower;
    for (char c : sub.substr(0, 64)) lower.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    wrong_arity(out, "client|" + lower);
    return false;
  };
  if (equals_ci(sub, "id")) {
    if (arity(2)) resp::append_integer(out, static_cast<int64_t>(conn.id));
  } else if (equals_ci(sub, "getname")) {
    if (!arity(2)) return;
    if (conn.name.empty()) {
      resp::append_null(out);
    } else {
      resp::append_bulk(out, conn.name);
    }
  } else if (equals_ci(sub, "setname")) {
    if (arity(3) && set_client_name(out, conn, args[2])) resp::append_simple(out, "OK");
  } else if (equals_ci(sub, "info")) {
    if (arity(2)) resp::append_bulk(out, client_info_line(conn));
  } else if (equals_ci(sub, "setinfo")) {
    if (!arity(4)) return;
    const bool lib_name = equals_ci(args[2], "lib-name");
    if (!lib_name && !equals_ci(args[2], "lib-ver")) {
      return resp::append_error(out, "ERR Unrecognized option '" + printable(args[2]) + "'");
    }
    if (!plain_word(args[3])) {
      return resp::append_error(out, std::string(lib_name ? "ERR lib-name" : "ERR lib-ver") +
                                         " cannot contain spaces, newlines or special characters.");
    }
    (lib_name ? conn.lib_name : conn.lib_version) = args[3];
    resp::append_simple(out, "OK");
  } else {
    resp::append_error(out, "ERR unknown subcommand '" + printable(sub) + "'. Try CLIENT HELP.");
  }
}

// SELECT 0 only: drl has one keyspace.
void plan_select(std::span<const std::string_view> args, std::string& out) {
  if (args.size() != 2) return wrong_arity(out, "select");
  int64_t db = 0;
  if (!parse_i64(args[1], db)) {
    resp::append_error(out, "ERR value is not an integer or out of range");
  } else if (db != 0) {
    resp::append_error(out, "ERR DB index is out of range");
  } else {
    resp::append_simple(out, "OK");
  }
}

// redis-cell's seconds (src/lib.rs of brandur/redis-cell, the `cl.throttle` command): the
// whole seconds, plus one when the duration's sub-second milliseconds are above zero. So a
// fractional part of 1 ms or more rounds up, and one below 1 ms is dropped, as there.
int64_t redis_cell_seconds(Nanos n) {
  const int64_t whole = n / kSecond;
  return (n % kSecond) / kMillisecond > 0 ? whole + 1 : whole;
}

// INFO: which section each known StatusResponse field belongs to.
std::string_view section_of(std::string_view field) {
  if (field == "node_id" || field == "version" || field == "uptime_ms" || field == "listen") {
    return "server";
  }
  if (field == "connections") return "clients";
  if (field == "keys" || field == "memory_bytes" || field == "max_memory_bytes" ||
      field == "evicted" || field == "expired" || field == "checks" || field == "checks_decided" ||
      field == "policies") {
    return "stats";
  }
  return "cluster";
}

// Renders one field's value with reflection, so cluster fields added to StatusResponse later
// show up without a change here.
void append_field(std::string& out, const google::protobuf::Message& m,
                  const google::protobuf::FieldDescriptor* f, int index);

void append_message_inline(std::string& out, const google::protobuf::Message& m) {
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);
  bool first = true;
  for (const auto* f : fields) {
    if (f->is_repeated()) continue;
    if (!first) out.push_back(',');
    first = false;
    out.append(f->name());
    out.push_back('=');
    append_field(out, m, f, -1);
  }
}

void append_field(std::string& out, const google::protobuf::Message& m,
                  const google::protobuf::FieldDescriptor* f, int index) {
  using FD = google::protobuf::FieldDescriptor;
  const auto* r = m.GetReflection();
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FD::CPPTYPE_INT32:
      out += std::to_string(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
      break;
    case FD::CPPTYPE_INT64:
      out += std::to_string(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
      break;
    case FD::CPPTYPE_UINT32:
      out += std::to_string(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
      break;
    case FD::CPPTYPE_UINT64:
      out += std::to_string(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
      break;
    case FD::CPPTYPE_DOUBLE:
      out += std::to_string(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
      break;
    case FD::CPPTYPE_FLOAT:
      out += std::to_string(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
      break;
    case FD::CPPTYPE_BOOL:
      out += (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "1" : "0";
      break;
    case FD::CPPTYPE_ENUM:
      out += rep ? r->GetRepeatedEnum(m, f, index)->name() : r->GetEnum(m, f)->name();
      break;
    case FD::CPPTYPE_STRING:
      out += printable(rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f));
      break;
    case FD::CPPTYPE_MESSAGE:
      append_message_inline(out, rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f));
      break;
  }
}

}  // namespace

RespPlan plan_resp_command(std::span<const std::string_view> args, RespConnection& conn,
                           std::string& out) {
  RespPlan plan;
  const std::string_view name = args[0];
  if (equals_ci(name, "cl.throttle")) return plan_throttle(args, out);
  if (equals_ci(name, "drl.check")) return plan_check(args, out);
  if (equals_ci(name, "client")) {
    plan_client(args, conn, out);
  } else if (equals_ci(name, "hello")) {
    plan_hello(args, conn, out);
  } else if (equals_ci(name, "select")) {
    plan_select(args, out);
  } else if (equals_ci(name, "ping")) {
    if (args.size() == 1) {
      resp::append_simple(out, "PONG");
    } else if (args.size() == 2) {
      resp::append_bulk(out, args[1]);
    } else {
      wrong_arity(out, name);
    }
  } else if (equals_ci(name, "echo")) {
    if (args.size() == 2) {
      resp::append_bulk(out, args[1]);
    } else {
      wrong_arity(out, name);
    }
  } else if (equals_ci(name, "quit")) {
    resp::append_simple(out, "OK");
    plan.verb = RespVerb::kQuit;
  } else if (equals_ci(name, "info")) {
    if (args.size() > 2) {
      wrong_arity(out, name);
    } else {
      plan.verb = RespVerb::kInfo;
      if (args.size() == 2) plan.section = args[1];
    }
  } else if (equals_ci(name, "command") || equals_ci(name, "config")) {
    // redis-cli asks COMMAND DOCS and redis-benchmark CONFIG GET at start; nothing to tell.
    resp::append_array_header(out, 0);
  } else {
    std::string msg = "ERR unknown command '" + printable(name) + "', with args beginning with:";
    for (size_t i = 1; i < args.size() && i < 4; ++i) msg += " '" + printable(args[i]) + "'";
    resp::append_error(out, msg);
  }
  return plan;
}

void append_throttle_reply(std::string& out, const CheckOutcome& o, TimePoint now) {
  if (o.code == CheckCode::kOverloaded) {
    // Its own error prefix (as Redis says BUSY or LOADING), so clients can tell it apart.
    resp::append_error(out, "OVERLOADED " + o.message + " (retry_after_ms " +
                                std::to_string(ceil_millis(o.decision.retry_after)) + ")");
    return;
  }
  if (o.code != CheckCode::kOk) {
    resp::append_error(out, "ERR " + o.message);
    return;
  }
  const auto& d = o.decision;
  // redis-cell leaves retry_after at -1 when allowed and when the quantity can never pass.
  const int64_t retry =
      d.allowed || d.retry_after == limits::kNever ? -1 : redis_cell_seconds(d.retry_after);
  const int64_t reset = std::max<int64_t>(0, redis_cell_seconds(d.reset_at - now));
  resp::append_array_header(out, 5);
  resp::append_integer(out, d.allowed ? 0 : 1);
  resp::append_integer(out, static_cast<int64_t>(d.limit));
  resp::append_integer(out, static_cast<int64_t>(d.remaining));
  resp::append_integer(out, retry);
  resp::append_integer(out, reset);
}

void append_check_reply(std::string& out, const CheckOutcome& o, std::string_view node_id) {
  const auto& d = o.decision;
  const bool ok = o.code == CheckCode::kOk;
  resp::append_array_header(out, 22);
  auto integer = [&](std::string_view name, int64_t v) {
    resp::append_bulk(out, name);
    resp::append_integer(out, v);
  };
  auto text = [&](std::string_view name, std::string_view v) {
    resp::append_bulk(out, name);
    resp::append_bulk(out, v);
  };
  integer("allowed", ok && d.allowed ? 1 : 0);
  integer("limit", static_cast<int64_t>(d.limit));
  integer("remaining", static_cast<int64_t>(d.remaining));
  integer("reset_at_ms", floor_millis(d.reset_at));
  integer("retry_after_ms", d.retry_after == limits::kNever ? -1 : ceil_millis(d.retry_after));
  integer("delay_ms", ceil_millis(d.delay));
  integer("shadow_denied", d.shadow_denied ? 1 : 0);
  integer("degraded", o.degraded ? 1 : 0);
  text("code", check_code_name(o.code));
  text("message", o.message);
  text("decided_by", o.decided_by.empty() ? node_id : o.decided_by);
}

void append_info(std::string& out, const wire::StatusResponse& status, std::string_view section) {
  static constexpr std::string_view kSections[] = {"server", "clients", "stats", "cluster"};
  static constexpr std::string_view kTitles[] = {"Server", "Clients", "Stats", "Cluster"};
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  status.GetReflection()->ListFields(status, &fields);
  std::string text;
  const bool all = section.empty() || equals_ci(section, "all") || equals_ci(section, "default") ||
                   equals_ci(section, "everything");
  for (size_t s = 0; s < std::size(kSections); ++s) {
    if (!all && !equals_ci(section, kSections[s])) continue;
    if (!text.empty()) text += "\r\n";
    text += "# ";
    text += kTitles[s];
    text += "\r\n";
    if (kSections[s] == "server") {
      text += "redis_version:";
      text += kRedisCompatVersion;
      text += "\r\nredis_mode:standalone\r\nserver:drl\r\n";
    }
    size_t cluster_fields = 0;
    for (const auto* f : fields) {
      if (section_of(f->name()) != kSections[s]) continue;
      ++cluster_fields;
      if (f->is_repeated()) {
        const int n = status.GetReflection()->FieldSize(status, f);
        if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
          text += f->name() + ":" + std::to_string(n) + "\r\n";
          for (int i = 0; i < n; ++i) {
            text += f->name() + std::to_string(i) + ":";
            append_field(text, status, f, i);
            text += "\r\n";
          }
        } else {
          text += f->name() + ":";
          for (int i = 0; i < n; ++i) {
            if (i > 0) text.push_back(',');
            append_field(text, status, f, i);
          }
          text += "\r\n";
        }
      } else {
        text += f->name() + ":";
        append_field(text, status, f, -1);
        text += "\r\n";
      }
    }
    if (kSections[s] == "cluster") {
      text += cluster_fields > 0 ? "cluster_enabled:1\r\n" : "cluster_enabled:0\r\n";
    }
  }
  resp::append_bulk(out, text);
}

}  // namespace drl::service
