#include "store/durable/durable_store.h"

namespace drl::store::durable {
namespace {

// No algorithm writes a state on a plain denial (limits/state.h), nor on a peek (cost 0):
// only these requests can change one, so only they cost a read-back of the record.
bool may_change(const limits::Request& request, const limits::Decision& decision) {
  return (decision.allowed && request.cost > 0) || request.refund || request.reset ||
         request.drain_on_deny;
}

}  // namespace

bool writes_limit(const limits::Limit& limit, Nanos min_window) {
  if (min_window <= 0) return true;
  if (limit.calendar != limits::Calendar::kNone) return true;  // an hour at least
  return limit.window >= min_window;
}

DurableStore::DurableStore(StoreOptions store, ChangeLog& log, DurableOptions options)
    : table_(store), log_(log), options_(options) {}

limits::Decision DurableStore::apply(std::string_view key, const limits::Limit& limit,
                                     const limits::Request& request, TimePoint now,
                                     MemoryRule rule) {
  const limits::Decision decision = table_.apply(key, limit, request, now, rule);
  if (!may_change(request, decision) || !writes_limit(limit, options_.min_window)) {
    return decision;
  }
  // Read back after the decision: a concurrent change of the key may show here too, which is
  // as new as or newer than this one (install keeps the newest on replay).
  // One record per thread, so its key and log buffers are reused from check to check.
  thread_local KeyRecord record;
  if (table_.record(key, record)) {
    log_.put(record, ChangeLog::Answer::kWaits);
  } else {
    log_.erase(key, ChangeLog::Answer::kWaits);  // the change left nothing worth keeping (a refund
                                                 // back to full)
  }
  return decision;
}

size_t DurableStore::expire(TimePoint now, size_t budget) {
  last_sweep_.store(now, std::memory_order_relaxed);
  // Expired keys need no record: replay skips what has expired by then.
  return table_.expire(now, budget);
}

bool DurableStore::install(const KeyRecord& record) {
  if (!table_.install(record)) return false;
  const TimePoint now = last_sweep_.load(std::memory_order_relaxed);
  if (options_.min_window <= 0 || record.expires_at - now >= options_.min_window) {
    log_.put(record, ChangeLog::Answer::kDoesNotWait);
  }
  return true;
}

bool DurableStore::erase(std::string_view key) {
  if (!table_.erase(key)) return false;
  log_.erase(key, ChangeLog::Answer::kWaits);
  return true;
}

}  // namespace drl::store::durable
