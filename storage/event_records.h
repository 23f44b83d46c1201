// What the Store keeps and is asked about events and their deliveries
// (docs/events.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/time.h"

namespace herald::storage {

// An event (docs/events.md) as the store keeps it: recorded in the same
// transaction as the change it tells of (post writes), or right after it
// (pauses, breakers, credentials), idempotent by id either way.
struct Event {
  int64_t seq = 0;  // assigned by the store: increasing in recording order
  std::string id;   // unique; the same transition always has the same id
  std::string organization;
  EventType type = EventType::kPostScheduled;
  Instant at;
  std::string payload;  // the event's `data`, a JSON object as text

  friend bool operator==(const Event&, const Event&) = default;
};

struct EventQuery {
  std::string organization;  // required
  std::optional<EventType> type;
  std::optional<Instant> since;  // at >= since
  int64_t after_seq = 0;         // cursor: seq > after_seq, ascending
  int limit = 100;               // 1..1000
};

// One event's delivery to one subscription URL.
struct EventDelivery {
  int64_t id = 0;  // assigned by the store
  std::string event_id;
  std::string organization;
  EventType type = EventType::kPostScheduled;
  std::string url;
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  std::optional<int> last_status;  // the receiver's last HTTP status, if it answered
  std::string last_error;          // why the last attempt failed, empty after a success
  Instant next_attempt;            // pending: not tried before
  Instant created_at;
  Instant updated_at;

  friend bool operator==(const EventDelivery&, const EventDelivery&) = default;
};

struct DeliveryQuery {
  std::string organization;  // required
  std::optional<DeliveryState> state;
  int64_t after_id = 0;  // cursor: id > after_id, ascending
  int limit = 100;       // 1..1000
};

// A claim on the due deliveries: each is this claim's until `until` (one not
// finished by then may be claimed again by anyone). `token` names the claim
// and must be unique per call (process name and a counter).
struct DeliveryClaim {
  std::string token;
  Instant now;
  Instant until;
  int limit = 16;
};

struct ClaimedDelivery {
  EventDelivery delivery;
  Event event;
};

// How an attempt of a claimed delivery ended.
struct DeliveryOutcome {
  int64_t id = 0;
  std::string token;  // the claim's
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;
  std::optional<int> last_status;
  std::string last_error;
  Instant next_attempt;  // pending: when it is tried again
  Instant at;
};

}  // namespace herald::storage
