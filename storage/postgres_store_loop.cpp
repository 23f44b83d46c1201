// PostgresStore: engagement reads, the inbox and events (the conversation
// after a post is published). The rest is in postgres_store.cpp.
#include <utility>

#include "storage/internal/engagement_rows.h"
#include "storage/internal/event_rows.h"
#include "storage/internal/inbox_rows.h"
#include "storage/internal/postgres_store_impl.h"
#include "storage/internal/rows.h"
#include "storage/internal/statements.h"
#include "storage/postgres_store.h"

namespace herald::storage {
namespace {

using internal::PgConnection;
using internal::PgRow;
using internal::PgSelectAll;
using internal::PgSelectOne;
using internal::PgWriteSession;

}  // namespace

Result<std::vector<EngagementTarget>> PostgresStore::EngagementTargets(Instant since, int points, int limit) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, internal::EngagementTargetsStatement(since, points, limit),
                     [](const PgRow& row) { return internal::ReadEngagementTarget(row); });
  });
}

Result<bool> PostgresStore::ClaimEngagementRead(const EngagementClaim& claim) {
  return impl_->Write<bool>([&](PgWriteSession& db) { return internal::ClaimEngagementRead(db, claim); });
}

Result<void> PostgresStore::FinishEngagementRead(const EngagementRead& read, std::string_view process) {
  return impl_->Write<void>([&](PgWriteSession& db) { return internal::FinishEngagementRead(db, read, process); });
}

Result<void> PostgresStore::DeferEngagementRead(int64_t post_id, int point, std::string_view process, Instant until,
                                        std::string_view why) {
  return impl_->Write<void>(
      [&](PgWriteSession& db) { return internal::DeferEngagementRead(db, post_id, point, process, until, why); });
}

Result<std::vector<EngagementRead>> PostgresStore::ListEngagement(std::string_view organization, int64_t post_id) {
  return impl_->pool->With([&](PgConnection& db) -> Result<std::vector<EngagementRead>> {
    auto exists = PgSelectOne(db, internal::PostExistsStatement(organization, post_id),
                            [](const PgRow&) -> Result<bool> { return true; });
    if (!exists) return std::unexpected(exists.error());
    if (!*exists) return std::unexpected(internal::NotInOrganization(post_id, organization));
    return PgSelectAll(db, internal::ListEngagementStatement(organization, post_id),
                     [](const PgRow& row) { return internal::ReadEngagementRow(row); });
  });
}

Result<std::vector<EngagementSample>> PostgresStore::EngagementSamples(const EngagementQuery& query) {
  auto statement = internal::EngagementSamplesStatement(query);
  if (!statement) return std::unexpected(statement.error());
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, *statement, [](const PgRow& row) { return internal::ReadEngagementSample(row); });
  });
}

Result<bool> PostgresStore::ClaimInboxRead(const InboxReadClaim& claim) {
  return impl_->Write<bool>([&](PgWriteSession& db) { return internal::ClaimInboxRead(db, claim); });
}

Result<std::vector<InboxItem>> PostgresStore::SaveInboxPage(const InboxPage& page) {
  return impl_->Write<std::vector<InboxItem>>([&](PgWriteSession& db) { return internal::SaveInboxPage(db, page); });
}

Result<void> PostgresStore::ReleaseInboxRead(std::string_view organization, std::string_view account,
                                  std::string_view process, Instant next_at, std::string_view why) {
  return impl_->Write<void>(
      [&](PgWriteSession& db) { return internal::ReleaseInboxRead(db, organization, account, process, next_at, why); });
}

Result<std::optional<InboxReadState>> PostgresStore::FindInboxReadState(std::string_view organization,
                                                                 std::string_view account) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectOne(db, internal::InboxReadStateStatement(organization, account),
                     [](const PgRow& row) { return internal::ReadInboxReadState(row); });
  });
}

Result<InboxItem> PostgresStore::GetInboxItem(std::string_view organization, int64_t id) {
  auto found = impl_->pool->With([&](PgConnection& db) {
    return PgSelectOne(db, internal::GetInboxItemStatement(organization, id),
                     [](const PgRow& row) { return internal::ReadInboxItem(row); });
  });
  if (!found) return std::unexpected(found.error());
  if (!*found) {
    return std::unexpected(Status(Code::kNotFound, "no inbox item " + std::to_string(id) + " in organization " +
                                                       std::string(organization)));
  }
  return std::move(**found);
}

Result<std::vector<InboxItem>> PostgresStore::ListInbox(const InboxQuery& query) {
  auto statement = internal::ListInboxStatement(query);
  if (!statement) return std::unexpected(statement.error());
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, *statement, [](const PgRow& row) { return internal::ReadInboxItem(row); });
  });
}

Result<InboxItem> PostgresStore::UpdateInboxItem(InboxItem item, std::vector<AuditEntry> audit) {
  auto updated =
      impl_->Write<InboxItem>([&](PgWriteSession& db) { return internal::UpdateInboxItem(db, item, audit); });
  if (!updated && updated.error().code() == Code::kFailedPrecondition) {
    // Tell a missing item from one changed meanwhile.
    if (auto stored = GetInboxItem(item.organization, item.id); !stored) return std::unexpected(stored.error());
  }
  return updated;
}

Result<std::optional<InboxItem>> PostgresStore::FindInboxItemByReply(std::string_view organization,
                                                               int64_t reply_post_id) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectOne(db, internal::InboxItemByReplyStatement(organization, reply_post_id),
                     [](const PgRow& row) { return internal::ReadInboxItem(row); });
  });
}

Result<std::vector<InboxCount>> PostgresStore::CountInbox(Instant now) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, internal::CountInboxStatement(now),
                     [](const PgRow& row) { return internal::ReadInboxCount(row); });
  });
}

Result<void> PostgresStore::RecordEvents(std::vector<Event> events) {
  if (events.empty()) return {};
  return impl_->Write<void>([&](PgWriteSession& db) { return internal::InsertEvents(db, events); });
}

Result<std::vector<Event>> PostgresStore::UnroutedEvents(int limit) {
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, internal::UnroutedEventsStatement(limit), [](const PgRow& row) { return internal::ReadEvent(row); });
  });
}

Result<bool> PostgresStore::RouteEvent(std::string_view event_id, std::string_view organization,
                               const std::vector<std::string>& urls, Instant now) {
  return impl_->Write<bool>([&](PgWriteSession& db) { return internal::RouteEvent(db, event_id, organization, urls, now); });
}

Result<int> PostgresStore::RouteEvents(const std::vector<EventRoute>& routes, Instant now) {
  if (routes.empty()) return 0;
  return impl_->Write<int>([&](PgWriteSession& db) { return internal::RouteEvents(db, routes, now); });
}

Result<std::vector<ClaimedDelivery>> PostgresStore::ClaimDeliveries(const DeliveryClaim& claim) {
  auto claimed = impl_->Write<void>([&](PgWriteSession& db) { return internal::ClaimDeliveries(db, claim); });
  if (!claimed) return std::unexpected(claimed.error());
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, internal::ClaimedDeliveriesStatement(claim.token),
                     [](const PgRow& row) { return internal::ReadClaimedDelivery(row); });
  });
}

Result<void> PostgresStore::FinishDelivery(const DeliveryOutcome& outcome) {
  return impl_->Write<void>([&](PgWriteSession& db) { return internal::FinishDelivery(db, outcome); });
}

Result<std::vector<Event>> PostgresStore::ListEvents(const EventQuery& query) {
  auto statement = internal::ListEventsStatement(query);
  if (!statement) return std::unexpected(statement.error());
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, *statement, [](const PgRow& row) { return internal::ReadEvent(row); });
  });
}

Result<std::vector<EventDelivery>> PostgresStore::ListDeliveries(const DeliveryQuery& query) {
  auto statement = internal::ListDeliveriesStatement(query);
  if (!statement) return std::unexpected(statement.error());
  return impl_->pool->With([&](PgConnection& db) {
    return PgSelectAll(db, *statement, [](const PgRow& row) { return internal::ReadDelivery(row); });
  });
}

Result<EventDelivery> PostgresStore::RetryDelivery(std::string_view organization, int64_t id, Instant now) {
  auto changed = impl_->Write<bool>([&](PgWriteSession& db) { return internal::RetryDelivery(db, organization, id, now); });
  if (!changed) return std::unexpected(changed.error());
  auto missing = [&] {
    return Status(Code::kNotFound, "delivery " + std::to_string(id) + " not found in organization " + std::string(organization));
  };
  if (!*changed) return std::unexpected(missing());
  auto found = impl_->pool->With([&](PgConnection& db) {
    return PgSelectOne(db, internal::FindDeliveryStatement(organization, id),
                     [](const PgRow& row) { return internal::ReadDelivery(row); });
  });
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::unexpected(missing());
  return **found;
}

Result<int64_t> PostgresStore::PendingDeliveries() {
  auto count = impl_->pool->With([&](PgConnection& db) {
    return PgSelectOne(db, internal::PendingDeliveriesStatement(), [](const PgRow& row) -> Result<int64_t> { return row.Int(0); });
  });
  if (!count) return std::unexpected(count.error());
  return count->value_or(0);
}

Result<int64_t> PostgresStore::PruneEvents(Instant before) {
  return impl_->Write<int64_t>([&](PgWriteSession& db) { return internal::PruneEvents(db, before); });
}

}  // namespace herald::storage
