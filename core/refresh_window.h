// How long before its expiry an OAuth access token is refreshed (the
// GrantKeeper in oauth/), and so from when an account whose token cannot be
// refreshed (no refresh token, or refreshes failing) is shown as expiring
// soon. A token that lives a day or more (LinkedIn's 60 days, the long-lived
// Meta tokens) is refreshed in the last quarter of its life, at most 7 days
// ahead; a shorter one (X's two hours) in its last tenth, at most 10 minutes
// ahead. Pure values; thread-safe.
#pragma once

#include <algorithm>
#include <chrono>

#include "core/time.h"

namespace herald {

inline Duration RefreshWindow(Duration lifetime) {
  if (lifetime >= std::chrono::days{1}) return std::min<Duration>(std::chrono::days{7}, lifetime / 4);
  return std::min<Duration>(std::chrono::minutes{10}, lifetime / 10);
}

// Whether a token issued at `issued_at` that expires at `expires_at` is
// inside its refresh window at `now` (expired included).
inline bool InRefreshWindow(Instant issued_at, Instant expires_at, Instant now) {
  return expires_at - now <= RefreshWindow(expires_at - issued_at);
}

}  // namespace herald
