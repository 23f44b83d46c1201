// ReadHolds: when a background reader (engagement, inbox) leaves an account
// alone. An account is held while the service pauses it (a platform's rate
// limit, an open breaker, needs reconnecting), until a platform's reset after
// a read spent its budget, and after reads put off by a 429 or 5xx, for the
// platform's time or an exponential backoff that grows with the failures in a
// row. Readers share the account's budget with publishing, so they also stand
// aside while publishing is busy (PublishingBusy).
//
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "connectors/backoff.h"
#include "core/time.h"
#include "scheduler/runtime/service.h"

namespace herald::runtime::internal {

class ReadHolds {
 public:
  // `service` outlives this.
  ReadHolds(Service& service, connectors::Backoff backoff);

  // Until when nothing is read on `account`, nullopt when it is free at `now`.
  std::optional<Instant> HeldUntil(const std::string& account, Instant now);
  // A read put off: when to try again (`retry_at` when the platform said,
  // else the backoff's next delay; at least a second away). With `hold` the
  // whole account waits until then.
  Instant PutOff(const std::string& account, std::optional<Instant> retry_at, Instant now, bool hold);
  // A read that went through: the failures in a row start over; `hold_until`
  // (the platform's budget spent until then) holds the account.
  void Succeeded(const std::string& account, std::optional<Instant> hold_until);

 private:
  Service& service_;
  const connectors::Backoff backoff_;
  std::mutex mu_;
  std::map<std::string, Instant> held_until_;    // guarded by mu_
  std::map<std::string, int> failures_;          // guarded by mu_; in a row
  std::mt19937_64 rng_{std::random_device{}()};  // guarded by mu_
};

// Whether publishing needs the accounts now: a publish under way, or one due
// within `margin` of `now`.
bool PublishingBusy(Service& service, const std::function<int64_t()>& publishes_in_flight, Duration margin,
                    Instant now);

}  // namespace herald::runtime::internal
