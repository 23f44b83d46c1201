// Pauses: why nothing is sent on an account before some time. A pause is a
// platform's rate limit in force, or an open circuit breaker; it belongs to one
// account or to a whole connector type (every account publishing through it).
// Pauses owns the circuit breakers whose openings become pauses.
//
// Not thread-safe: the Service holds it under its plan mutex.
#pragma once

#include <compare>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/circuit_breaker.h"
#include "core/time.h"
#include "scheduler/runtime/service.h"
#include "storage/store.h"

namespace herald::runtime::internal {

// Whose pause (or breaker) this is.
struct PauseKey {
  enum class Kind { kAccount, kConnector };
  Kind kind = Kind::kAccount;
  std::string name;  // the account id, or the connector type

  static PauseKey Account(std::string id) { return {Kind::kAccount, std::move(id)}; }
  static PauseKey Connector(std::string type) { return {Kind::kConnector, std::move(type)}; }

  // As the store keeps it (storage::AccountPause::account): the account id, or
  // "connector:TYPE" under organisation "".
  std::string StoreKey() const;
  static PauseKey FromStoreKey(std::string_view key);
  // "the account x" / "connector y", for reason texts.
  std::string Describe() const;

  friend auto operator<=>(const PauseKey&, const PauseKey&) = default;
};

class Pauses {
 public:
  explicit Pauses(connectors::BreakerOptions breaker) : breakers_(breaker) {}

  // The pause in force on `account` at `now`, if any: its own, or that of its
  // connector type `connector` (in any process), whichever ends later.
  const AccountPause* Of(const std::string& account, const std::string& connector, Instant now) const;
  // Sets a pause unless one in force already ends as late or later. Returns
  // whether it changed anything.
  bool Set(const PauseKey& key, const AccountPause& pause);
  // Ends the key's pause at `now` when one of `rules` holds it (its
  // account.resumed is then told as for any ended pause). Returns whether
  // it ended one.
  bool End(const PauseKey& key, const std::vector<std::string>& rules, Instant now);
  // Pauses read from the store (an earlier run, another process); the later one wins.
  void Load(const std::vector<storage::AccountPause>& stored);

  // The pauses that ended at or before `now` and were not taken yet: each
  // pause (by its end) is returned once, for its account.resumed event.
  std::vector<std::pair<PauseKey, AccountPause>> TakeEnded(Instant now);

  // Circuit breakers. Admit: nullopt to go ahead, else the breaker is open until then.
  std::optional<Instant> Admit(const PauseKey& key, Instant now);
  // Returns true when this failure opened the breaker.
  bool RecordFailure(const PauseKey& key, Instant now, const std::string& why);
  void RecordSuccess(const PauseKey& key);
  connectors::BreakerView Breaker(const PauseKey& key, Instant now) const;
  // Every breaker open at `now`.
  std::vector<std::pair<PauseKey, connectors::BreakerView>> OpenBreakers(Instant now) const;
  // The pause an open breaker puts on its accounts until `until`, saying why.
  AccountPause BreakerPause(const PauseKey& key, Instant until, Instant now) const;

 private:
  std::map<PauseKey, AccountPause> pauses_;
  std::map<PauseKey, Instant> ended_;  // the end of each key's pause already taken by TakeEnded
  connectors::CircuitBreakers breakers_;  // by "account:ID" / "connector:TYPE"
};

}  // namespace herald::runtime::internal
