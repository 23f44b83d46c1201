// The inbox_items and inbox_reads tables for both stores: their statements,
// reading their rows back, and the conditional writes behind
// Store::ClaimInboxRead, SaveInboxPage, ReleaseInboxRead and UpdateInboxItem.
//
// An account's inbox_reads row holds its cursor and who may read it until
// when (`claimed_by`, `claim_until`); a released claim keeps `claim_until` as
// the time before which nobody reads the account. Pure apart from the
// WriteSession it is handed.
#pragma once

#include <string_view>

#include "core/inbox.h"
#include "core/status.h"
#include "storage/internal/rows.h"
#include "storage/internal/sql_value.h"
#include "storage/internal/writes.h"
#include "storage/store.h"

namespace herald::storage::internal {

// What ReadInboxItem expects to have been selected.
inline constexpr std::string_view kInboxColumns =
    "id, organization, account, remote_id, kind, author, author_name, text, language, url, created_at, "
    "in_reply_to, reply_ref, post_id, department, state, assignee, reply_post_id, received_at, due_at, "
    "updated_at, version";

Statement GetInboxItemStatement(std::string_view organization, int64_t id);
Statement InboxItemByReplyStatement(std::string_view organization, int64_t reply_post_id);
// InvalidArgument without an organization or with a limit outside 1..1000.
Result<Statement> ListInboxStatement(const InboxQuery& query);
Statement InboxReadStateStatement(std::string_view organization, std::string_view account);
Statement CountInboxStatement(Instant now);

// See Store for the contracts. Each runs inside its caller's transaction.
Result<bool> ClaimInboxRead(WriteSession& db, const InboxReadClaim& claim);
Result<std::vector<InboxItem>> SaveInboxPage(WriteSession& db, const InboxPage& page);
Result<void> ReleaseInboxRead(WriteSession& db, std::string_view organization, std::string_view account,
                              std::string_view process, Instant next_at, std::string_view why);
// NotFound is decided by the caller, which can read: this returns
// FailedPrecondition whenever no row at item.version matched.
Result<InboxItem> UpdateInboxItem(WriteSession& db, InboxItem item, const std::vector<AuditEntry>& audit);

// Internal, naming the item, for a stored kind or state this herald does not know.
Status UnknownInboxValue(int64_t id, std::string_view what, std::string_view value);

template <class Row>
Result<InboxItem> ReadInboxItem(const Row& row) {
  InboxItem item;
  item.id = row.Int(0);
  item.organization = row.Text(1);
  item.account = row.Text(2);
  InboxMessage& m = item.message;
  m.remote_id = row.Text(3);
  auto kind = ParseInboxKind(row.Text(4));
  if (!kind) return std::unexpected(UnknownInboxValue(item.id, "kind", row.Text(4)));
  m.kind = *kind;
  m.author = row.Text(5);
  m.author_name = row.Text(6);
  m.text = row.Text(7);
  m.language = row.Text(8);
  m.url = row.Text(9);
  m.created_at = FromUnix(row.Int(10));
  m.in_reply_to = row.Text(11);
  m.reply_ref = row.Text(12);
  item.post_id = row.OptionalInt(13);
  item.department = row.Text(14);
  auto state = ParseInboxState(row.Text(15));
  if (!state) return std::unexpected(UnknownInboxValue(item.id, "state", row.Text(15)));
  item.state = *state;
  item.assignee = row.Text(16);
  item.reply_post_id = row.OptionalInt(17);
  item.received_at = FromUnix(row.Int(18));
  item.due_at = FromUnix(row.Int(19));
  item.updated_at = FromUnix(row.Int(20));
  item.version = row.Int(21);
  return item;
}

// A row of InboxReadStateStatement().
template <class Row>
Result<InboxReadState> ReadInboxReadState(const Row& row) {
  InboxReadState s{row.Text(0), row.Text(1), row.Text(2), row.Text(3), FromUnix(row.Int(4)), std::nullopt,
                   row.Text(6)};
  if (auto t = row.OptionalInt(5)) s.read_at = FromUnix(*t);
  return s;
}

// A row of CountInboxStatement().
template <class Row>
Result<InboxCount> ReadInboxCount(const Row& row) {
  auto state = ParseInboxState(row.Text(2));
  if (!state) return std::unexpected(UnknownInboxValue(0, "state", row.Text(2)));
  return InboxCount{row.Text(0), row.Text(1), *state, row.Int(3), row.Int(4)};
}

}  // namespace herald::storage::internal
