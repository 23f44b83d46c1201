// The events and event_deliveries tables for both stores: the post events a
// write records, the statements, reading rows back, and the conditional
// writes behind Store::RecordEvents, RouteEvent, ClaimDeliveries,
// FinishDelivery and RetryDelivery.
//
// An event row is `routed` once its deliveries exist (one per subscription
// URL matching it then). A delivery row is `pending` (held by a claim token
// until claim_until while it is attempted), then `delivered` or `failed`.
// Pure apart from the WriteSession it is handed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "storage/internal/packed_json.h"
#include "storage/internal/rows.h"
#include "storage/internal/sql_value.h"
#include "storage/internal/writes.h"
#include "storage/store.h"

namespace herald::storage::internal {

// The event a write of `post` is, with its payload (docs/events.md), when it
// is one: `from` and `from_planned` are the stored state and time before it.
std::optional<Event> PostEvent(std::optional<PostState> from, std::optional<Instant> from_planned, const Post& post);

// An event with its payload's stored form (packed_json.h) made already.
struct StoredEvent {
  Event event;
  std::string stored_payload;
};
// PostEvent with the stored payload built from the same value, which
// InsertEvents then writes as it is (the same bytes as packing the text).
std::optional<StoredEvent> StoredPostEvent(std::optional<PostState> from, std::optional<Instant> from_planned,
                                           const Post& post);

// What ReadEvent / ReadDelivery expect to have been selected.
inline constexpr std::string_view kEventColumns = "seq, id, organization, type, at, payload";
inline constexpr std::string_view kDeliveryColumns =
    "d.id, d.event_id, d.organization, e.type, d.url, d.state, d.attempts, d.last_status, d.last_error,"
    " d.next_attempt, d.created_at, d.updated_at";

Statement UnroutedEventsStatement(int limit);
// InvalidArgument without an organization or with a limit outside 1..1000.
Result<Statement> ListEventsStatement(const EventQuery& query);
Result<Statement> ListDeliveriesStatement(const DeliveryQuery& query);
Statement FindDeliveryStatement(std::string_view organization, int64_t id);
// The deliveries held by claim `token`, with their events' columns after.
Statement ClaimedDeliveriesStatement(std::string_view token);
Statement PendingDeliveriesStatement();

// See Store for the contracts. Each runs inside its caller's transaction.
Result<void> InsertEvents(WriteSession& db, const std::vector<Event>& events);
Result<void> InsertEvents(WriteSession& db, std::vector<StoredEvent> events);
Result<bool> RouteEvent(WriteSession& db, std::string_view event_id, std::string_view organization,
                        const std::vector<std::string>& urls, Instant now);
// RouteEvent for each route, in order: how many it routed.
Result<int> RouteEvents(WriteSession& db, const std::vector<Store::EventRoute>& routes, Instant now);
Result<void> ClaimDeliveries(WriteSession& db, const DeliveryClaim& claim);
Result<void> FinishDelivery(WriteSession& db, const DeliveryOutcome& outcome);
// True when a row changed (the delivery exists in the organisation).
Result<bool> RetryDelivery(WriteSession& db, std::string_view organization, int64_t id, Instant now);
// Rows removed.
Result<int64_t> PruneEvents(WriteSession& db, Instant before);

template <class Row>
Result<Event> ReadEvent(const Row& row, int first = 0) {
  auto type = ParseEventType(row.Text(first + 3));
  if (!type) return std::unexpected(Status(Code::kInternal, "event " + row.Text(first + 1) + " has an unknown type"));
  std::string organization = row.Text(first + 2);
  std::string payload = UnpackJson(row.Text(first + 5), organization);
  return Event{row.Int(first), row.Text(first + 1), std::move(organization), *type, FromUnix(row.Int(first + 4)),
               std::move(payload)};
}

template <class Row>
Result<EventDelivery> ReadDelivery(const Row& row) {
  auto type = ParseEventType(row.Text(3));
  auto state = ParseDeliveryState(row.Text(5));
  if (!type || !state) {
    return std::unexpected(Status(Code::kInternal, "delivery " + std::to_string(row.Int(0)) + " has an unknown type or state"));
  }
  EventDelivery d{row.Int(0), row.Text(1), row.Text(2), *type, row.Text(4), *state, static_cast<int>(row.Int(6)),
                  std::nullopt, row.Text(8), FromUnix(row.Int(9)), FromUnix(row.Int(10)), FromUnix(row.Int(11))};
  if (auto s = row.OptionalInt(7)) d.last_status = static_cast<int>(*s);
  return d;
}

// A row of ClaimedDeliveriesStatement.
template <class Row>
Result<ClaimedDelivery> ReadClaimedDelivery(const Row& row) {
  auto delivery = ReadDelivery(row);
  if (!delivery) return std::unexpected(delivery.error());
  auto event = ReadEvent(row, 12);
  if (!event) return std::unexpected(event.error());
  return ClaimedDelivery{std::move(*delivery), std::move(*event)};
}

}  // namespace herald::storage::internal
