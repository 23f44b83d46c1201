#include "storage/internal/inbox_rows.h"

#include <algorithm>
#include <string>

namespace herald::storage::internal {
namespace {

SqlValue Text(std::string_view v) { return std::string(v); }

SqlValue OptionalId(const std::optional<int64_t>& v) {
  if (!v) return {};
  return *v;
}

Status ClaimLost(std::string_view organization, std::string_view account, std::string_view process) {
  return Status(Code::kFailedPrecondition, "the inbox read of account " + std::string(account) + " (" +
                                               std::string(organization) + ") is no longer claimed by " +
                                               std::string(process) + ": its claim ended and another process took it");
}

// Items are stored as the connector gave them; the post is looked up among
// the account's own published posts only.
constexpr std::string_view kInsertItemSql =
    "INSERT INTO inbox_items (organization, account, remote_id, kind, author, author_name, text, language, url,"
    " created_at, in_reply_to, reply_ref, post_id, department, state, assignee, reply_post_id, received_at,"
    " due_at, updated_at, version)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " (SELECT p.id FROM posts p WHERE p.organization = ? AND p.account = ? AND p.remote_id = ?"
    "  AND p.remote_id <> '' ORDER BY p.id LIMIT 1),"
    " ?, 'open', '', NULL, ?, ?, ?, 1)"
    " ON CONFLICT (organization, account, remote_id) DO NOTHING RETURNING id, post_id";

}  // namespace

Status UnknownInboxValue(int64_t id, std::string_view what, std::string_view value) {
  return Status(Code::kInternal, "inbox item " + std::to_string(id) + " has an unknown " + std::string(what) +
                                     " '" + std::string(value) + "'");
}

Statement GetInboxItemStatement(std::string_view organization, int64_t id) {
  return {"SELECT " + std::string(kInboxColumns) + " FROM inbox_items WHERE id = ? AND organization = ?",
          {id, Text(organization)}};
}

Statement InboxItemByReplyStatement(std::string_view organization, int64_t reply_post_id) {
  return {"SELECT " + std::string(kInboxColumns) +
              " FROM inbox_items WHERE reply_post_id = ? AND organization = ? ORDER BY id LIMIT 1",
          {reply_post_id, Text(organization)}};
}

Result<Statement> ListInboxStatement(const InboxQuery& q) {
  if (q.organization.empty()) {
    return std::unexpected(Status(Code::kInvalidArgument, "an inbox query needs an organization"));
  }
  if (q.limit < 1 || q.limit > 1000) {
    return std::unexpected(Status(Code::kInvalidArgument, "an inbox query's limit must be 1..1000"));
  }
  Statement s{"SELECT " + std::string(kInboxColumns) + " FROM inbox_items WHERE organization = ?", {q.organization}};
  if (q.account) {
    s.sql += " AND account = ?";
    s.values.emplace_back(*q.account);
  }
  if (q.department) {
    s.sql += " AND department = ?";
    s.values.emplace_back(*q.department);
  }
  if (q.departments) {
    if (q.departments->empty()) {
      s.sql += " AND 1 = 0";
    } else {
      s.sql += " AND department IN (";
      for (size_t i = 0; i < q.departments->size(); ++i) {
        s.sql += i == 0 ? "?" : ", ?";
        s.values.emplace_back((*q.departments)[i]);
      }
      s.sql += ")";
    }
  }
  if (q.state) {
    s.sql += " AND state = ?";
    s.values.emplace_back(std::string(InboxStateName(*q.state)));
  }
  if (q.overdue_at) {
    s.sql += " AND state IN ('open', 'assigned') AND due_at <= ?";
    s.values.emplace_back(ToUnix(*q.overdue_at));
  }
  if (q.overdue_after) {
    s.sql += " AND (due_at > ? OR received_at > ?)";
    s.values.emplace_back(ToUnix(*q.overdue_after));
    s.values.emplace_back(ToUnix(*q.overdue_after));
  }
  if (q.before_id > 0) {
    s.sql += " AND id < ?";
    s.values.emplace_back(q.before_id);
  }
  s.sql += " ORDER BY id DESC LIMIT ?";
  s.values.emplace_back(int64_t{q.limit});
  return s;
}

Statement InboxReadStateStatement(std::string_view organization, std::string_view account) {
  return {"SELECT organization, account, cursor, claimed_by, claim_until, read_at, detail"
          " FROM inbox_reads WHERE organization = ? AND account = ?",
          {Text(organization), Text(account)}};
}

Statement CountInboxStatement(Instant now) {
  return {"SELECT organization, department, state, COUNT(*),"
          " SUM(CASE WHEN state IN ('open', 'assigned') AND due_at <= ? THEN 1 ELSE 0 END)"
          " FROM inbox_items GROUP BY organization, department, state ORDER BY organization, department, state",
          {ToUnix(now)}};
}

Result<bool> ClaimInboxRead(WriteSession& db, const InboxReadClaim& c) {
  if (c.organization.empty() || c.account.empty() || c.process.empty()) {
    return std::unexpected(
        Status(Code::kInvalidArgument, "an inbox read claim needs an organization, an account and a process"));
  }
  auto changed = db.RunCounting(
      {"INSERT INTO inbox_reads (organization, account, cursor, claimed_by, claim_until, read_at, detail)"
       " VALUES (?, ?, '', ?, ?, NULL, '')"
       " ON CONFLICT (organization, account) DO UPDATE SET claimed_by = excluded.claimed_by,"
       " claim_until = excluded.claim_until"
       " WHERE inbox_reads.claim_until <= ?",
       {c.organization, c.account, c.process, ToUnix(c.until), ToUnix(c.now)}});
  if (!changed) return std::unexpected(changed.error());
  return *changed == 1;
}

Result<std::vector<InboxItem>> SaveInboxPage(WriteSession& db, const InboxPage& page) {
  Instant now{};
  for (const InboxItem& item : page.items) {
    if (item.organization != page.organization || item.account != page.account) {
      return std::unexpected(Status(Code::kInvalidArgument, "inbox item " + item.message.remote_id +
                                                                " is not of the page's account " + page.account));
    }
    if (item.message.remote_id.empty()) {
      return std::unexpected(Status(Code::kInvalidArgument, "an inbox item needs the platform's id"));
    }
    now = std::max(now, item.received_at);
  }
  auto moved = db.RunCounting({"UPDATE inbox_reads SET cursor = ?, read_at = COALESCE(?, read_at)"
                               " WHERE organization = ? AND account = ? AND claimed_by = ?",
                               {page.cursor, page.items.empty() ? SqlValue{} : SqlValue{ToUnix(now)},
                                page.organization, page.account, page.process}});
  if (!moved) return std::unexpected(moved.error());
  if (*moved != 1) return std::unexpected(ClaimLost(page.organization, page.account, page.process));
  std::vector<InboxItem> stored;
  for (const InboxItem& item : page.items) {
    const InboxMessage& m = item.message;
    auto row = db.RunReturning(
        {std::string(kInsertItemSql),
         {item.organization, item.account, m.remote_id, Text(InboxKindName(m.kind)), m.author, m.author_name, m.text,
          m.language, m.url, ToUnix(m.created_at), m.in_reply_to, m.reply_ref, item.organization, item.account,
          m.in_reply_to, item.department, ToUnix(item.received_at), ToUnix(item.due_at), ToUnix(item.received_at)}},
        2);
    if (!row) return std::unexpected(row.error());
    if (!*row) continue;  // stored before
    InboxItem s = item;
    s.id = (**row)[0].value_or(0);
    s.post_id = (**row)[1];
    s.state = InboxState::kOpen;
    s.assignee.clear();
    s.reply_post_id.reset();
    s.updated_at = item.received_at;
    s.version = 1;
    stored.push_back(std::move(s));
  }
  return stored;
}

Result<void> ReleaseInboxRead(WriteSession& db, std::string_view organization, std::string_view account,
                              std::string_view process, Instant next_at, std::string_view why) {
  auto changed = db.RunCounting({"UPDATE inbox_reads SET claimed_by = '', claim_until = ?, detail = ?"
                                 " WHERE organization = ? AND account = ? AND claimed_by = ?",
                                 {ToUnix(next_at), Text(why), Text(organization), Text(account), Text(process)}});
  if (!changed) return std::unexpected(changed.error());
  if (*changed != 1) return std::unexpected(ClaimLost(organization, account, process));
  return {};
}

Result<InboxItem> UpdateInboxItem(WriteSession& db, InboxItem item, const std::vector<AuditEntry>& audit) {
  auto changed = db.RunCounting(
      {"UPDATE inbox_items SET department = ?, due_at = ?, state = ?, assignee = ?, reply_post_id = ?,"
       " updated_at = ?, version = version + 1 WHERE id = ? AND organization = ? AND version = ?",
       {item.department, ToUnix(item.due_at), Text(InboxStateName(item.state)), item.assignee,
        OptionalId(item.reply_post_id), ToUnix(item.updated_at), item.id, item.organization, item.version}});
  if (!changed) return std::unexpected(changed.error());
  if (*changed != 1) {
    return std::unexpected(Status(Code::kFailedPrecondition,
                                  "inbox item " + std::to_string(item.id) + " was changed by somebody else first"));
  }
  std::vector<AuditEntry> entries = audit;
  for (AuditEntry& e : entries) {
    if (e.organization.empty()) e.organization = item.organization;
  }
  if (auto r = InsertAudit(db, entries); !r) return std::unexpected(r.error());
  item.version += 1;
  return item;
}

}  // namespace herald::storage::internal
