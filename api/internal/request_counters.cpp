#include "api/internal/request_counters.h"

namespace herald::api::internal {

void RequestCounters::Count(const std::string& route, const std::string& method, int status) {
  std::lock_guard lock(mu_);
  ++counts_.requests[{route, method, status}];
}

void RequestCounters::Observe(const std::string& route, std::chrono::steady_clock::duration took) {
  double seconds = std::chrono::duration<double>(took).count();
  std::lock_guard lock(mu_);
  auto& h = counts_.latency_by_route[route];
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

RequestCounts RequestCounters::Snapshot() const {
  std::lock_guard lock(mu_);
  return counts_;
}

}  // namespace herald::api::internal
