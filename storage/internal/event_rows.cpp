#include "storage/internal/event_rows.h"

#include <nlohmann/json.hpp>

namespace herald::storage::internal {
namespace {

using nlohmann::json;

json Time(const std::optional<Instant>& t) { return t ? json(FormatRfc3339(*t)) : json(nullptr); }

Status NeedsOrganization(std::string_view what) {
  return Status(Code::kInvalidArgument, std::string(what) + " needs an organization");
}

Status BadLimit(int limit) {
  return Status(Code::kInvalidArgument, "limit must be 1..1000, got " + std::to_string(limit));
}

constexpr std::string_view kFromDeliveries = " FROM event_deliveries d JOIN events e ON e.id = d.event_id";

}  // namespace

std::optional<Event> PostEvent(std::optional<PostState> from, std::optional<Instant> from_planned, const Post& p) {
  auto event = StoredPostEvent(from, from_planned, p);
  if (!event) return std::nullopt;
  return std::move(event->event);
}

std::optional<StoredEvent> StoredPostEvent(std::optional<PostState> from, std::optional<Instant> from_planned,
                                           const Post& p) {
  auto type = PostEventType(from, from_planned, p);
  if (!type) return std::nullopt;
  json reasons = json::array();
  for (const StoredReason& r : p.reasons) reasons.push_back({{"rule", r.rule}, {"detail", r.detail}});
  json post = {{"id", p.id},
               {"account", p.account},
               {"state", PostStateName(p.state)},
               {"planned_at", Time(p.planned_at)},
               {"labels", p.labels},
               {"reasons", reasons}};
  // A reply (docs/inbox.md) is an ordinary post that also names its item.
  if (p.answers_item) post["answers_item"] = *p.answers_item;
  if (p.state == PostState::kPublished) {
    post["published_at"] = Time(p.published_at);
    post["remote_id"] = p.remote_id;
    post["remote_url"] = p.remote_url;
  }
  if (p.state == PostState::kFailed || p.state == PostState::kUnconfirmed) post["failure"] = p.failure;
  json data = {{"organization", p.organization}, {"post", post}};
  if (from) data["previous"] = {{"state", PostStateName(*from)}, {"planned_at", Time(from_planned)}};
  PackedJson payload = PackJsonValue(data, p.organization);
  // A post's version is new with every write: one event per transition.
  return StoredEvent{Event{0, EventId({"post", std::to_string(p.id), "v" + std::to_string(p.version)}),
                           p.organization, *type, p.updated_at, std::move(payload.text)},
                     std::move(payload.stored)};
}

Statement UnroutedEventsStatement(int limit) {
  return {"SELECT " + std::string(kEventColumns) + " FROM events WHERE routed = 0 ORDER BY seq LIMIT ?",
          {int64_t{limit}}};
}

Result<Statement> ListEventsStatement(const EventQuery& q) {
  if (q.organization.empty()) return std::unexpected(NeedsOrganization("an event query"));
  if (q.limit < 1 || q.limit > 1000) return std::unexpected(BadLimit(q.limit));
  Statement s{"SELECT " + std::string(kEventColumns) + " FROM events WHERE organization = ? AND seq > ?",
              {q.organization, q.after_seq}};
  if (q.type) {
    s.sql += " AND type = ?";
    s.values.emplace_back(std::string(EventTypeName(*q.type)));
  }
  if (q.since) {
    s.sql += " AND at >= ?";
    s.values.emplace_back(ToUnix(*q.since));
  }
  s.sql += " ORDER BY seq LIMIT ?";
  s.values.emplace_back(int64_t{q.limit});
  return s;
}

Result<Statement> ListDeliveriesStatement(const DeliveryQuery& q) {
  if (q.organization.empty()) return std::unexpected(NeedsOrganization("a delivery query"));
  if (q.limit < 1 || q.limit > 1000) return std::unexpected(BadLimit(q.limit));
  Statement s{"SELECT " + std::string(kDeliveryColumns) + std::string(kFromDeliveries) +
                  " WHERE d.organization = ? AND d.id > ?",
              {q.organization, q.after_id}};
  if (q.state) {
    s.sql += " AND d.state = ?";
    s.values.emplace_back(std::string(DeliveryStateName(*q.state)));
  }
  s.sql += " ORDER BY d.id LIMIT ?";
  s.values.emplace_back(int64_t{q.limit});
  return s;
}

Statement FindDeliveryStatement(std::string_view organization, int64_t id) {
  return {"SELECT " + std::string(kDeliveryColumns) + std::string(kFromDeliveries) +
              " WHERE d.organization = ? AND d.id = ?",
          {std::string(organization), id}};
}

Statement ClaimedDeliveriesStatement(std::string_view token) {
  return {"SELECT " + std::string(kDeliveryColumns) + ", e.seq, e.id, e.organization, e.type, e.at, e.payload" +
              std::string(kFromDeliveries) + " WHERE d.claim = ? AND d.state = 'pending' ORDER BY d.next_attempt, d.id",
          {std::string(token)}};
}

Statement PendingDeliveriesStatement() {
  return {"SELECT COUNT(*) FROM event_deliveries WHERE state = 'pending'", {}};
}

namespace {

Result<Statement> InsertEventStatement(const Event& e, std::string stored_payload) {
  if (e.organization.empty() || e.id.empty()) {
    return std::unexpected(Status(Code::kInvalidArgument, "an event needs an id and an organization"));
  }
  return Statement{"INSERT INTO events (id, organization, type, at, payload, routed) VALUES (?, ?, ?, ?, ?, 0)"
                   " ON CONFLICT (id) DO NOTHING",
                   {e.id, e.organization, std::string(EventTypeName(e.type)), ToUnix(e.at),
                    std::move(stored_payload)}};
}

}  // namespace

Result<void> InsertEvents(WriteSession& db, const std::vector<Event>& events) {
  std::vector<Statement> inserts;
  inserts.reserve(events.size());
  for (const Event& e : events) {
    auto insert = InsertEventStatement(e, PackJson(e.payload, e.organization));
    if (!insert) return std::unexpected(insert.error());
    inserts.push_back(std::move(*insert));
  }
  return RunInserts(db, inserts);
}

Result<void> InsertEvents(WriteSession& db, std::vector<StoredEvent> events) {
  std::vector<Statement> inserts;
  inserts.reserve(events.size());
  for (StoredEvent& e : events) {
    auto insert = InsertEventStatement(e.event, std::move(e.stored_payload));
    if (!insert) return std::unexpected(insert.error());
    inserts.push_back(std::move(*insert));
  }
  return RunInserts(db, inserts);
}

Result<bool> RouteEvent(WriteSession& db, std::string_view event_id, std::string_view organization,
                        const std::vector<std::string>& urls, Instant now) {
  auto changed = db.RunCounting({"UPDATE events SET routed = 1 WHERE id = ? AND routed = 0", {std::string(event_id)}});
  if (!changed) return std::unexpected(changed.error());
  if (*changed != 1) return false;
  for (const std::string& url : urls) {
    auto r = db.Run({"INSERT INTO event_deliveries (event_id, organization, url, state, attempts, last_error,"
                     " next_attempt, claim, claim_until, created_at, updated_at)"
                     " VALUES (?, ?, ?, 'pending', 0, '', ?, '', 0, ?, ?) ON CONFLICT (event_id, url) DO NOTHING",
                     {std::string(event_id), std::string(organization), url, ToUnix(now), ToUnix(now), ToUnix(now)}});
    if (!r) return std::unexpected(r.error());
  }
  return true;
}

Result<int> RouteEvents(WriteSession& db, const std::vector<Store::EventRoute>& routes, Instant now) {
  int routed = 0;
  for (const Store::EventRoute& r : routes) {
    auto done = RouteEvent(db, r.event_id, r.organization, r.urls, now);
    if (!done) return std::unexpected(done.error());
    routed += *done ? 1 : 0;
  }
  return routed;
}

Result<void> ClaimDeliveries(WriteSession& db, const DeliveryClaim& c) {
  if (c.token.empty()) return std::unexpected(Status(Code::kInvalidArgument, "a delivery claim needs a token"));
  // The outer conditions are checked again on each row as it is locked
  // (PostgreSQL), so of two processes racing for a row one gets it.
  return db.Run({"UPDATE event_deliveries SET claim = ?, claim_until = ?"
                 " WHERE state = 'pending' AND next_attempt <= ? AND claim_until <= ? AND id IN"
                 " (SELECT id FROM event_deliveries WHERE state = 'pending' AND next_attempt <= ? AND claim_until <= ?"
                 " ORDER BY next_attempt, id LIMIT ?)",
                 {c.token, ToUnix(c.until), ToUnix(c.now), ToUnix(c.now), ToUnix(c.now), ToUnix(c.now),
                  int64_t{c.limit}}});
}

Result<void> FinishDelivery(WriteSession& db, const DeliveryOutcome& o) {
  SqlValue status;
  if (o.last_status) status = int64_t{*o.last_status};
  auto changed = db.RunCounting(
      {"UPDATE event_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?, next_attempt = ?,"
       " claim = '', claim_until = 0, updated_at = ? WHERE id = ? AND claim = ? AND state = 'pending'",
       {std::string(DeliveryStateName(o.state)), int64_t{o.attempts}, status, o.last_error, ToUnix(o.next_attempt),
        ToUnix(o.at), o.id, o.token}});
  if (!changed) return std::unexpected(changed.error());
  if (*changed != 1) {
    return std::unexpected(Status(Code::kFailedPrecondition, "delivery " + std::to_string(o.id) +
                                                                 " is no longer held by claim " + o.token +
                                                                 ": its claim ran out and another process took it"));
  }
  return {};
}

Result<bool> RetryDelivery(WriteSession& db, std::string_view organization, int64_t id, Instant now) {
  auto changed = db.RunCounting(
      {"UPDATE event_deliveries SET state = 'pending', attempts = 0, next_attempt = ?, claim = '', claim_until = 0,"
       " updated_at = ? WHERE id = ? AND organization = ?",
       {ToUnix(now), ToUnix(now), id, std::string(organization)}});
  if (!changed) return std::unexpected(changed.error());
  return *changed == 1;
}

Result<int64_t> PruneEvents(WriteSession& db, Instant before) {
  auto deliveries = db.RunCounting(
      {"DELETE FROM event_deliveries WHERE state <> 'pending' AND updated_at < ?", {ToUnix(before)}});
  if (!deliveries) return std::unexpected(deliveries.error());
  auto events = db.RunCounting({"DELETE FROM events WHERE routed = 1 AND at < ? AND NOT EXISTS"
                                " (SELECT 1 FROM event_deliveries d WHERE d.event_id = events.id)",
                                {ToUnix(before)}});
  if (!events) return std::unexpected(events.error());
  return *deliveries + *events;
}

}  // namespace herald::storage::internal
