// Events: what herald tells an organisation's subscribers (docs/events.md).
// An event is one transition of a post or an account, named by a type, with a
// stable id (the same transition always gets the same id, so recording it
// twice stores it once and a receiver that dedupes on it sees it once).
// Value types and pure functions; no I/O.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/post.h"
#include "core/time.h"

namespace herald {

enum class EventType {
  kPostScheduled,            // approved (or created) and given a time
  kPostMoved,                // a scheduled post's planned time changed
  kPostPublished,
  kPostFailed,
  kPostUnconfirmed,          // the platform's answer was lost: maybe published
  kPostRefused,              // no time is allowed by the rules
  kAccountPaused,            // a platform's rate limit, or an account that must be connected
  kAccountResumed,           // a pause ended
  kAccountBreakerOpen,       // the account's circuit breaker opened after failures in a row
  kAccountCredentialsBroken, // the platform refused the account's credentials: reconnect it
  kInboxItemOverdue,         // an inbox item was not answered in time
};

inline constexpr std::array kEventTypes = {
    EventType::kPostScheduled,      EventType::kPostMoved,       EventType::kPostPublished,
    EventType::kPostFailed,         EventType::kPostUnconfirmed, EventType::kPostRefused,
    EventType::kAccountPaused,      EventType::kAccountResumed,  EventType::kAccountBreakerOpen,
    EventType::kAccountCredentialsBroken, EventType::kInboxItemOverdue,
};

std::string_view EventTypeName(EventType type);  // "post.published", ...
std::optional<EventType> ParseEventType(std::string_view name);

// The event a post's write is, if any: `from` is the stored state before it
// (nullopt for a new post) and `from_planned` its planned time then.
std::optional<EventType> PostEventType(std::optional<PostState> from, std::optional<Instant> from_planned,
                                       const Post& to);

// An event id as Standard Webhooks takes it (no '.', which separates the
// signed parts): "evt_" and the parts joined by '_', every character but
// letters, digits, '_' and '-' made '_'.
std::string EventId(std::initializer_list<std::string_view> parts);

// Where a delivery of an event to one subscription stands.
enum class DeliveryState { kPending, kDelivered, kFailed };
std::string_view DeliveryStateName(DeliveryState state);  // "pending", "delivered", "failed"
std::optional<DeliveryState> ParseDeliveryState(std::string_view name);

// When a delivery is tried again after its `attempts`-th attempt failed
// (1-based): 5 s, 30 s, 2 min, 10 min, 1 h, 3 h, 6 h, 12 h (about 22 h in all),
// before jitter. nullopt when that was the last attempt: the delivery failed.
std::optional<Duration> DeliveryRetryDelay(int attempts);
inline constexpr int kMaxDeliveryAttempts = 9;

}  // namespace herald
