// The memory backend: the store alone; nothing survives the process.
#include "node/storage/storage.h"
#include "store/store.h"

namespace drl::node {
namespace {

class MemoryStorage final : public Storage {
 public:
  explicit MemoryStorage(const StorageOptions& o)
      : store_(store::StoreOptions{.shards = 64,
                                   .max_memory_bytes = o.max_memory_bytes,
                                   .on_memory_full = o.on_memory_full}) {}
  store::Backend& backend() override { return store_; }
  std::string open(TimePoint) override { return ""; }
  void close() override {}
  void render_metrics(service::PrometheusText&) const override {}

 private:
  store::Store store_;
};

}  // namespace

std::unique_ptr<Storage> make_memory_storage(const StorageOptions& options) {
  return std::make_unique<MemoryStorage>(options);
}

}  // namespace drl::node
