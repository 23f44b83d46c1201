#include "core/event.h"

#include <algorithm>

namespace herald {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::array<std::string_view, kEventTypes.size()> kEventTypeNames = {
    "post.scheduled",        "post.moved",          "post.published",
    "post.failed",           "post.unconfirmed",    "post.refused",
    "account.paused",        "account.resumed",     "account.breaker_open",
    "account.credentials_broken", "inbox.item_overdue",
};

constexpr std::array<Duration, kMaxDeliveryAttempts - 1> kRetryDelays = {
    seconds{5}, seconds{30}, minutes{2}, minutes{10}, hours{1}, hours{3}, hours{6}, hours{12},
};

}  // namespace

std::string_view EventTypeName(EventType type) { return kEventTypeNames[static_cast<size_t>(type)]; }

std::optional<EventType> ParseEventType(std::string_view name) {
  auto it = std::find(kEventTypeNames.begin(), kEventTypeNames.end(), name);
  if (it == kEventTypeNames.end()) return std::nullopt;
  return kEventTypes[static_cast<size_t>(it - kEventTypeNames.begin())];
}

std::optional<EventType> PostEventType(std::optional<PostState> from, std::optional<Instant> from_planned,
                                       const Post& to) {
  if (from == to.state) {
    // Only a scheduled post moving in time is news without a change of state.
    if (to.state == PostState::kScheduled && from_planned != to.planned_at) return EventType::kPostMoved;
    return std::nullopt;
  }
  switch (to.state) {
    case PostState::kScheduled:
      // Back to scheduled after an attempt (a retry, a pause, a crash): the
      // post was scheduled already, so only its time is news.
      if (from == PostState::kPublishing || from == PostState::kUnconfirmed) {
        return from_planned != to.planned_at ? std::optional(EventType::kPostMoved) : std::nullopt;
      }
      return EventType::kPostScheduled;
    case PostState::kPublished: return EventType::kPostPublished;
    case PostState::kFailed: return EventType::kPostFailed;
    case PostState::kUnconfirmed: return EventType::kPostUnconfirmed;
    case PostState::kRefused: return EventType::kPostRefused;
    default: return std::nullopt;
  }
}

std::string EventId(std::initializer_list<std::string_view> parts) {
  std::string id = "evt";
  for (std::string_view part : parts) {
    id += '_';
    id += part;
  }
  // Parts may come from a platform (an inbox item's id): only what is safe in
  // a header and in the signed content stays.
  for (char& c : id) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!safe) c = '_';
  }
  return id;
}

std::string_view DeliveryStateName(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending: return "pending";
    case DeliveryState::kDelivered: return "delivered";
    case DeliveryState::kFailed: return "failed";
  }
  return "pending";
}

std::optional<DeliveryState> ParseDeliveryState(std::string_view name) {
  for (DeliveryState s : {DeliveryState::kPending, DeliveryState::kDelivered, DeliveryState::kFailed})
    if (DeliveryStateName(s) == name) return s;
  return std::nullopt;
}

std::optional<Duration> DeliveryRetryDelay(int attempts) {
  if (attempts < 1 || attempts > static_cast<int>(kRetryDelays.size())) return std::nullopt;
  return kRetryDelays[static_cast<size_t>(attempts - 1)];
}

}  // namespace herald
