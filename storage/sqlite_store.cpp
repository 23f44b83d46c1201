#include "storage/sqlite_store.h"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>

#include "storage/internal/group_commit.h"
#include "storage/internal/migrations.h"
#include "storage/internal/rows.h"
#include "storage/internal/sqlite.h"
#include "storage/internal/writes.h"

namespace herald::storage {
namespace {

using internal::Connection;
using internal::FromUnix;
using internal::Query;
using internal::ToUnix;

// Idle reader connections kept open; more are opened while many threads read.
constexpr size_t kMaxIdleReaders = 4;
constexpr int kMaxListLimit = 1000;

Status NeedsOrganization() {
  return Status(Code::kInvalidArgument, "an organization is required to read posts and audit entries");
}

int ClampLimit(int limit) { return std::clamp(limit, 1, kMaxListLimit); }

Result<std::vector<Post>> CollectPosts(Query& query) {
  std::vector<Post> posts;
  for (;;) {
    auto row = query.Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return posts;
    auto post = internal::ReadPost(query);
    if (!post) return std::unexpected(post.error());
    posts.push_back(std::move(*post));
  }
}

}  // namespace

struct SqliteStore::Impl {
  Impl(std::string path, std::unique_ptr<Connection> writer, int applied)
      : path(std::move(path)), migrations_applied(applied), committer(std::move(writer)) {}

  // Runs `read` on an idle reader connection, opening one when none is idle.
  template <class F>
  auto Read(F&& read) -> decltype(read(std::declval<Connection&>())) {
    std::unique_ptr<Connection> db;
    {
      std::lock_guard lock(mu);
      if (!idle_readers.empty()) {
        db = std::move(idle_readers.back());
        idle_readers.pop_back();
      }
    }
    if (!db) {
      auto opened = Connection::Open(path, /*create=*/false);
      if (!opened) return std::unexpected(opened.error());
      if (auto r = (*opened)->Exec("PRAGMA query_only = ON"); !r) return std::unexpected(r.error());
      db = std::move(*opened);
    }
    auto result = read(*db);
    // A connection that failed to reach the file is not kept for the next caller.
    if (result || result.error().code() != Code::kUnavailable) {
      std::lock_guard lock(mu);
      if (idle_readers.size() < kMaxIdleReaders) idle_readers.push_back(std::move(db));
    }
    return result;
  }

  // Runs `write` in the writer's next group and returns its answer.
  template <class T, class F>
  Result<T> Write(F&& write) {
    std::optional<Result<T>> answer;
    Status status = committer.Run([&](Connection& db) {
      answer = write(db);
      return *answer ? Status() : answer->error();
    });
    if (!status.ok()) return std::unexpected(std::move(status));
    return std::move(*answer);
  }

  const std::string path;
  const int migrations_applied;
  std::mutex mu;
  std::vector<std::unique_ptr<Connection>> idle_readers;  // guarded by mu
  internal::GroupCommitter committer;  // last: its thread stops first on destruction
};

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  if (path.empty()) {
    return std::unexpected(Status(Code::kInvalidArgument, "the SQLite database path is empty; use sqlite:PATH"));
  }
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (!folder.empty()) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) {
      return std::unexpected(Status(Code::kUnavailable, "cannot create folder " + folder.string() +
                                                            " for database " + path + ": " +
                                                            error.message()));
    }
  }
  auto writer = Connection::Open(path, /*create=*/true);
  if (!writer) return std::unexpected(writer.error());
  auto applied = internal::Migrate(**writer, internal::SchemaMigrations());
  if (!applied) return std::unexpected(applied.error());
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::make_unique<Impl>(path, std::move(*writer), *applied)));
}

Result<Post> SqliteStore::CreatePost(Post post, std::vector<AuditEntry> audit,
                                     std::optional<IdempotencyRecord> idempotency) {
  return impl_->Write<Post>([&](Connection& db) {
    return internal::InsertPost(db, std::move(post), std::move(audit), std::move(idempotency));
  });
}

Result<std::vector<Post>> SqliteStore::UpdatePosts(std::vector<PostChange> changes) {
  if (changes.empty()) return std::vector<Post>();
  return impl_->Write<std::vector<Post>>(
      [&](Connection& db) { return internal::ApplyChanges(db, std::move(changes)); });
}

Result<void> SqliteStore::AppendAudit(std::vector<AuditEntry> entries) {
  if (entries.empty()) return {};
  return impl_->Write<void>([&](Connection& db) { return internal::InsertAudit(db, std::move(entries)); });
}

Result<void> SqliteStore::RecordPolicyVersion(const PolicyVersion& version) {
  return impl_->Write<void>([&](Connection& db) { return internal::InsertPolicyVersion(db, version); });
}

Result<Post> SqliteStore::GetPost(std::string_view organization, int64_t id) {
  return impl_->Read([&](Connection& db) -> Result<Post> {
    auto query = db.Prepare("SELECT " + std::string(internal::kPostColumns) +
                            " FROM posts WHERE id = ? AND organization = ?");
    if (!query) return std::unexpected(query.error());
    auto row = query->Bind(id).Bind(organization).Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) {
      return std::unexpected(Status(Code::kNotFound, "post " + std::to_string(id) +
                                                         " not found in organization " +
                                                         std::string(organization)));
    }
    return internal::ReadPost(*query);
  });
}

Result<std::vector<Post>> SqliteStore::ListPosts(const PostQuery& q) {
  if (q.organization.empty()) return std::unexpected(NeedsOrganization());
  std::string sql = "SELECT " + std::string(internal::kPostColumns) +
                    " FROM posts WHERE organization = ? AND id > ?";
  if (q.account) sql += " AND account = ?";
  if (q.state) sql += " AND state = ?";
  if (q.from) sql += " AND COALESCE(planned_at, requested_at) >= ?";
  if (q.to) sql += " AND COALESCE(planned_at, requested_at) < ?";
  sql += " ORDER BY id LIMIT ?";
  return impl_->Read([&](Connection& db) -> Result<std::vector<Post>> {
    auto query = db.Prepare(sql);
    if (!query) return std::unexpected(query.error());
    query->Bind(q.organization).Bind(q.after_id);
    if (q.account) query->Bind(*q.account);
    if (q.state) query->Bind(PostStateName(*q.state));
    if (q.from) query->Bind(ToUnix(*q.from));
    if (q.to) query->Bind(ToUnix(*q.to));
    query->Bind(int64_t{ClampLimit(q.limit)});
    return CollectPosts(*query);
  });
}

Result<std::vector<AuditEntry>> SqliteStore::ListAudit(const AuditQuery& q) {
  if (q.organization.empty()) return std::unexpected(NeedsOrganization());
  std::string sql = "SELECT " + std::string(internal::kAuditColumns) +
                    " FROM audit WHERE organization = ? AND id > ?";
  if (q.post_id) sql += " AND post_id = ?";
  if (q.from) sql += " AND at >= ?";
  if (q.to) sql += " AND at < ?";
  sql += " ORDER BY id LIMIT ?";
  return impl_->Read([&](Connection& db) -> Result<std::vector<AuditEntry>> {
    auto query = db.Prepare(sql);
    if (!query) return std::unexpected(query.error());
    query->Bind(q.organization).Bind(q.after_id);
    if (q.post_id) query->Bind(*q.post_id);
    if (q.from) query->Bind(ToUnix(*q.from));
    if (q.to) query->Bind(ToUnix(*q.to));
    query->Bind(int64_t{ClampLimit(q.limit)});
    std::vector<AuditEntry> entries;
    for (;;) {
      auto row = query->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) return entries;
      auto entry = internal::ReadAudit(*query);
      if (!entry) return std::unexpected(entry.error());
      entries.push_back(std::move(*entry));
    }
  });
}

Result<std::vector<Post>> SqliteStore::LoadActive(Instant since) {
  std::string active;
  for (int i = 0; i <= static_cast<int>(PostState::kMissed); ++i) {
    auto state = static_cast<PostState>(i);
    if (IsFinal(state)) continue;
    active += active.empty() ? "'" : ", '";
    active += PostStateName(state);
    active += "'";
  }
  std::string sql = "SELECT " + std::string(internal::kPostColumns) + " FROM posts WHERE state IN (" +
                    active + ") OR COALESCE(published_at, planned_at) >= ? ORDER BY id";
  return impl_->Read([&](Connection& db) -> Result<std::vector<Post>> {
    auto query = db.Prepare(sql);
    if (!query) return std::unexpected(query.error());
    query->Bind(ToUnix(since));
    return CollectPosts(*query);
  });
}

Result<std::vector<StateChange>> SqliteStore::ListHistory(std::string_view organization, int64_t post_id) {
  return impl_->Read([&](Connection& db) -> Result<std::vector<StateChange>> {
    {
      auto exists = db.Prepare("SELECT 1 FROM posts WHERE id = ? AND organization = ?");
      if (!exists) return std::unexpected(exists.error());
      auto row = exists->Bind(post_id).Bind(organization).Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) {
        return std::unexpected(Status(Code::kNotFound, "post " + std::to_string(post_id) +
                                                           " not found in organization " +
                                                           std::string(organization)));
      }
    }
    auto query = db.Prepare(
        "SELECT at, from_state, to_state, actor FROM post_history WHERE post_id = ? ORDER BY id");
    if (!query) return std::unexpected(query.error());
    query->Bind(post_id);
    std::vector<StateChange> changes;
    for (;;) {
      auto row = query->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) return changes;
      StateChange change{post_id, FromUnix(query->Int(0)), std::nullopt, PostState::kPendingApproval,
                         query->Text(3)};
      if (!query->IsNull(1)) change.from = ParsePostState(query->Text(1));
      auto to = ParsePostState(query->Text(2));
      if (!to || (!query->IsNull(1) && !change.from)) {
        return std::unexpected(Status(Code::kInternal, "post " + std::to_string(post_id) +
                                                           " has a history row with an unknown state"));
      }
      change.to = *to;
      changes.push_back(std::move(change));
    }
  });
}

Result<std::optional<IdempotencyRecord>> SqliteStore::FindIdempotency(std::string_view organization,
                                                                      std::string_view key) {
  return impl_->Read([&](Connection& db) -> Result<std::optional<IdempotencyRecord>> {
    auto query = db.Prepare(
        "SELECT request_hash, post_id, status, created_at FROM idempotency_keys "
        "WHERE organization = ? AND key = ?");
    if (!query) return std::unexpected(query.error());
    auto row = query->Bind(organization).Bind(key).Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<IdempotencyRecord>();
    return IdempotencyRecord{std::string(organization), std::string(key), query->Text(0), query->Int(1),
                             static_cast<int>(query->Int(2)), FromUnix(query->Int(3))};
  });
}

Result<void> SqliteStore::Ping() {
  return impl_->Read([&](Connection& db) -> Result<void> {
    auto query = db.Prepare("SELECT 1");
    if (!query) return std::unexpected(query.error());
    return query->Run();
  });
}

namespace {
class NoLock final : public Store::AccountLock {};
}  // namespace

Result<std::unique_ptr<Store::AccountLock>> SqliteStore::LockAccount(std::string_view, std::string_view) {
  return std::unique_ptr<AccountLock>(std::make_unique<NoLock>());
}

Result<std::vector<Post>> SqliteStore::AccountChangesSince(std::string_view organization,
                                                           std::string_view account, int64_t after_seq) {
  return impl_->Read([&](Connection& db) -> Result<std::vector<Post>> {
    auto query = db.Prepare("SELECT " + std::string(internal::kPostColumns) +
                            " FROM posts WHERE organization = ? AND account = ? AND change_seq > ?"
                            " ORDER BY change_seq");
    if (!query) return std::unexpected(query.error());
    query->Bind(organization).Bind(account).Bind(after_seq);
    return CollectPosts(*query);
  });
}

void SqliteStore::WatchChanges(std::function<void(std::string, std::string)>) {}

Result<void> SqliteStore::RenewLease(std::string_view process, Instant until) {
  std::string name(process);
  return impl_->Write<void>([&](Connection& db) -> Result<void> {
    auto upsert = db.Prepare(
        "INSERT INTO leases (process, until) VALUES (?, ?) "
        "ON CONFLICT (process) DO UPDATE SET until = excluded.until");
    if (!upsert) return std::unexpected(upsert.error());
    return upsert->Bind(name).Bind(ToUnix(until)).Run();
  });
}

Result<std::vector<Post>> SqliteStore::OrphanedClaims(Instant now) {
  std::string columns;
  for (std::string_view rest = internal::kPostColumns; !rest.empty();) {
    size_t comma = rest.find(", ");
    columns += columns.empty() ? "p." : ", p.";
    columns += rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
  }
  return impl_->Read([&](Connection& db) -> Result<std::vector<Post>> {
    auto query = db.Prepare("SELECT " + columns +
                            " FROM posts p LEFT JOIN leases l ON l.process = p.claimed_by"
                            " WHERE p.state = 'publishing' AND (p.claimed_by = '' OR l.process IS NULL"
                            " OR l.until < ?) ORDER BY p.id");
    if (!query) return std::unexpected(query.error());
    query->Bind(ToUnix(now));
    return CollectPosts(*query);
  });
}

Result<void> SqliteStore::SavePause(const AccountPause& pause) {
  return impl_->Write<void>([&](Connection& db) -> Result<void> {
    auto upsert = db.Prepare(
        "INSERT INTO account_pauses (organization, account, rule, until, why) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (organization, account) DO UPDATE SET rule = excluded.rule, until = excluded.until, "
        "why = excluded.why WHERE excluded.until > account_pauses.until");
    if (!upsert) return std::unexpected(upsert.error());
    return upsert->Bind(pause.organization).Bind(pause.account).Bind(pause.rule).Bind(ToUnix(pause.until)).Bind(pause.why).Run();
  });
}

Result<std::vector<AccountPause>> SqliteStore::ActivePauses(Instant now) {
  return impl_->Read([&](Connection& db) -> Result<std::vector<AccountPause>> {
    auto query = db.Prepare(
        "SELECT organization, account, rule, until, why FROM account_pauses WHERE until > ? "
        "ORDER BY organization, account");
    if (!query) return std::unexpected(query.error());
    query->Bind(ToUnix(now));
    std::vector<AccountPause> out;
    for (;;) {
      auto row = query->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      out.push_back({query->Text(0), query->Text(1), query->Text(2), FromUnix(query->Int(3)), query->Text(4)});
    }
    return out;
  });
}

Result<int> SqliteStore::SchemaVersion() {
  return impl_->Read([&](Connection& db) { return internal::SchemaVersion(db); });
}

int SqliteStore::LatestSchemaVersion() { return static_cast<int>(internal::SchemaMigrations().size()); }

int SqliteStore::migrations_applied() const { return impl_->migrations_applied; }

int64_t SqliteStore::commits() const { return impl_->committer.commits(); }

int64_t SqliteStore::writes() const { return impl_->committer.writes(); }

}  // namespace herald::storage
