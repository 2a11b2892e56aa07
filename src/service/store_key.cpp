#include "service/store_key.h"

#include <cstdint>

#include "common/varint.h"

namespace drl::service {

void store_key_for(const CheckCall& call, std::string& out) {
  out.clear();
  if (!call.has_inline) {
    out.push_back('p');
    out.append(call.policy);
    out.push_back('\0');
  } else {
    out.push_back('i');
    out.push_back(static_cast<char>(call.limit.algorithm));
    out.push_back(static_cast<char>(call.limit.calendar));
    append_varint(out, call.limit.limit);
    append_varint(out, static_cast<uint64_t>(call.limit.window));
    append_varint(out, call.limit.burst);
  }
  out.append(call.key);
}

}  // namespace drl::service
