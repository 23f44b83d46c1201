// The events that are not post writes (docs/events.md): an account paused,
// resumed, its breaker open, its credentials broken; an inbox item overdue.
// Each is built here with its payload and a stable id, so every place that
// records one (the Service, the OAuth grant keeper, the inbox) shapes it the
// same way. Pure, apart from EmitInboxItemOverdue, which records.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/inbox.h"
#include "core/time.h"
#include "storage/store.h"

namespace herald::storage {

// What an account event says.
struct AccountFacts {
  std::string organization;
  std::string account;
  std::string platform;
  std::string rule;              // paused: rate_limit | needs_reconnect | ...; breaker_open: circuit_open
  std::optional<Instant> until;  // paused, breaker_open: nothing is sent before
  std::string why;               // what the platform answered, or why herald paused it
  std::optional<int> http_status;  // credentials_broken from a publish or read: 401 or 403
};

// An account event of `type` (kAccount*), at `at`. `key` tells this
// transition apart from the account's others of the same type (the pause's
// end, the grant's version): the same key gives the same id.
Event AccountEvent(EventType type, const AccountFacts& facts, Instant at, std::string_view key);

// inbox.item_overdue: `item` of the account was not answered by `due_at`.
Event InboxItemOverdueEvent(const std::string& organization, const std::string& account, const InboxMessage& item,
                            Instant due_at, Instant at);

// Records InboxItemOverdueEvent once per item and due time (a repeated call
// records nothing more). The store's errors.
Result<void> EmitInboxItemOverdue(Store& store, const std::string& organization, const std::string& account,
                                  const InboxMessage& item, Instant due_at, Instant now);

}  // namespace herald::storage
