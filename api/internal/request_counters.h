// Counts of HTTP requests by route, method and status, and their latency, for
// /metrics. Thread-safe: one mutex guards the maps.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace herald::api::internal {

inline constexpr std::array<double, 10> kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1,
                                                           0.25,  0.5,  1.0,   2.5,  5.0};

struct LatencyHistogram {
  std::array<int64_t, kLatencyBuckets.size()> buckets{};  // cumulative: <= bound
  int64_t count = 0;
  double sum = 0;
};

struct RequestCounts {
  // (route, method, status) -> requests
  std::map<std::tuple<std::string, std::string, int>, int64_t> requests;
  std::map<std::string, LatencyHistogram> latency_by_route;
};

class RequestCounters {
 public:
  void Count(const std::string& route, const std::string& method, int status);
  void Observe(const std::string& route, std::chrono::steady_clock::duration took);
  RequestCounts Snapshot() const;

 private:
  mutable std::mutex mu_;
  RequestCounts counts_;  // guarded by mu_
};

}  // namespace herald::api::internal
