#include "common/key_hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace drl {

uint64_t key_hash(std::string_view key) noexcept { return XXH3_64bits(key.data(), key.size()); }

}  // namespace drl
