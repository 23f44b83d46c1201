// What the Store keeps and is asked about engagement reads (docs/engagement.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/engagement.h"
#include "core/time.h"

namespace herald::storage {

// A published post whose engagement may still be read (Store::EngagementTargets).
struct EngagementTarget {
  int64_t post_id = 0;
  std::string organization;
  std::string account;
  std::string remote_id;
  std::string remote_url;
  Instant published_at;
  std::optional<int> last_point;  // the latest point read, failed or skipped; nullopt: none yet

  friend bool operator==(const EngagementTarget&, const EngagementTarget&) = default;
};

// A claim on one read of a post's engagement schedule, for `process` until
// `until` (a read not finished by then may be claimed again by anyone).
struct EngagementClaim {
  std::string organization;
  int64_t post_id = 0;
  int point = 0;
  std::string process;
  Instant until;
  Instant now;
};

struct EngagementQuery {
  std::string organization;  // required
  std::optional<std::string> account;
  Instant from;  // published_at >= from
  Instant to;    // published_at < to
};

}  // namespace herald::storage
