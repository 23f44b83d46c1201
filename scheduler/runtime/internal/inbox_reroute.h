// Re-routing after a policy change: an organisation's open inbox items are
// given their department again by its current `inbox:` rules, so a new or
// changed department takes the items waiting for it (docs/inbox.md,
// "Routing"). Items someone holds (assigned), answered or dismissed stay
// where they are. Pure apart from the store it is given.
#pragma once

#include <string>

#include "core/status.h"
#include "core/time.h"
#include "policies/policy.h"
#include "storage/store.h"

namespace herald::runtime::internal {

// What decides an item's department and due time: equal for two routings
// that route every item alike.
std::string RoutingKey(const policies::InboxRouting& routing);

// When `m` is due in a department answering within `answer_within`: from
// when it was written (from `received` when the platform gave no time, or a
// time ahead of ours).
Instant InboxDueAt(const InboxMessage& m, Instant received, Duration answer_within);

// Moves each open item of `organization` whose department differs under
// `routing`, with its due time from the new department, audited as
// `inbox_reroute` by herald. An item another process changed meanwhile is
// left (it is routed again next time, if still open). The number moved, or
// the store's error.
Result<int> RerouteOpenItems(storage::Store& store, const std::string& organization,
                             const policies::InboxRouting& routing, Instant now);

}  // namespace herald::runtime::internal
