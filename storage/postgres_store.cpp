#include "storage/postgres_store.h"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "storage/internal/pg.h"
#include "storage/internal/pg_migrations.h"
#include "storage/internal/pg_pool.h"
#include "storage/internal/rows.h"

namespace herald::storage {
namespace {

using internal::FromUnix;
using internal::P;
using internal::PgConnection;
using internal::PgParams;
using internal::PgPool;
using internal::PgResult;
using internal::ToUnix;

constexpr int kMaxListLimit = 1000;
constexpr int kMaxConnectionsInUse = 16;
constexpr size_t kMaxIdleConnections = 8;
constexpr std::string_view kChannel = "herald_changes";

Status NeedsOrganization() {
  return Status(Code::kInvalidArgument, "an organization is required to read posts and audit entries");
}

int ClampLimit(int limit) { return std::clamp(limit, 1, kMaxListLimit); }

std::string RandomId() {
  std::random_device random;
  char buf[33];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", random(), random(), random(), random());
  return buf;
}

std::string PostColumns(std::string_view prefix = "") {
  std::string out;
  for (std::string_view rest = internal::kPostColumns; !rest.empty();) {
    size_t comma = rest.find(", ");
    if (!out.empty()) out += ", ";
    out += prefix;
    out += rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
  }
  return out;
}

// The kPostFieldColumns values of `post`, in order.
PgParams PostFields(const Post& post) {
  auto time = [](const std::optional<Instant>& t) -> internal::PgParam {
    if (!t) return std::nullopt;
    return std::to_string(ToUnix(*t));
  };
  return {P(post.organization),
          P(post.account),
          P(post.author),
          P(post.text),
          P(internal::LabelsJson(post.labels)),
          P(post.priority == PostPriority::kUrgent ? "urgent" : "normal"),
          P(internal::MediaJson(post.media)),
          P(ToUnix(post.requested_at)),
          time(post.planned_at),
          P(PostStateName(post.state)),
          P(internal::ReasonsJson(post.reasons)),
          P(post.approved_by),
          P(post.remote_id),
          P(post.remote_url),
          time(post.published_at),
          P(post.failure),
          P(ToUnix(post.created_at)),
          P(ToUnix(post.updated_at)),
          P(post.claimed_by)};
}

// Reads a row selected with PostColumns().
Result<Post> ReadPost(const PgResult& r, int row) {
  Post post;
  post.id = r.Int(row, 0);
  post.organization = r.Text(row, 1);
  post.account = r.Text(row, 2);
  post.author = r.Text(row, 3);
  post.text = r.Text(row, 4);
  std::string priority = r.Text(row, 6);
  if (priority != "normal" && priority != "urgent") {
    return std::unexpected(Status(Code::kInternal, "post " + std::to_string(post.id) +
                                                       " has unknown priority \"" + priority + "\""));
  }
  post.priority = priority == "urgent" ? PostPriority::kUrgent : PostPriority::kNormal;
  post.requested_at = FromUnix(r.Int(row, 8));
  if (auto t = r.OptionalInt(row, 9)) post.planned_at = FromUnix(*t);
  std::string state = r.Text(row, 10);
  auto parsed = ParsePostState(state);
  if (!parsed) {
    return std::unexpected(Status(Code::kInternal, "post " + std::to_string(post.id) +
                                                       " has unknown state \"" + state + "\""));
  }
  post.state = *parsed;
  post.approved_by = r.Text(row, 12);
  post.remote_id = r.Text(row, 13);
  post.remote_url = r.Text(row, 14);
  if (auto t = r.OptionalInt(row, 15)) post.published_at = FromUnix(*t);
  post.failure = r.Text(row, 16);
  post.created_at = FromUnix(r.Int(row, 17));
  post.updated_at = FromUnix(r.Int(row, 18));
  post.version = r.Int(row, 19);
  post.change_seq = r.Int(row, 20);
  post.claimed_by = r.Text(row, 21);
  Status s = internal::ReadJsonColumns(r.Text(row, 5), r.Text(row, 7), r.Text(row, 11), post);
  if (!s.ok()) return std::unexpected(std::move(s));
  return post;
}

Result<std::vector<Post>> ReadPosts(const PgResult& r) {
  std::vector<Post> posts;
  posts.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    auto post = ReadPost(r, i);
    if (!post) return std::unexpected(post.error());
    posts.push_back(std::move(*post));
  }
  return posts;
}

std::string Placeholders(int from, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += "$" + std::to_string(from + i);
  }
  return out;
}

const std::string& InsertPostSql() {
  static const std::string sql = "INSERT INTO posts (" + std::string(internal::kPostFieldColumns) +
                                 ", version, change_seq) VALUES (" +
                                 Placeholders(1, internal::kPostFieldCount) +
                                 ", 1, nextval('post_change_seq')) RETURNING id, change_seq";
  return sql;
}

const std::string& UpdatePostSql() {
  static const std::string sql = [] {
    std::string out = "UPDATE posts SET ";
    int n = 1;
    for (std::string_view rest = internal::kPostFieldColumns; !rest.empty();) {
      size_t comma = rest.find(", ");
      out += rest.substr(0, comma);
      out += " = $" + std::to_string(n++) + ", ";
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
    }
    out += "version = version + 1, change_seq = nextval('post_change_seq') WHERE id = $" +
           std::to_string(n) + " AND organization = $" + std::to_string(n + 1) + " AND version = $" +
           std::to_string(n + 2) + " RETURNING change_seq";
    return out;
  }();
  return sql;
}

std::string ActorOf(const std::vector<AuditEntry>& audit, const std::string& fallback) {
  if (!audit.empty() && !audit.front().actor.empty()) return audit.front().actor;
  return fallback.empty() ? "herald" : fallback;
}

Result<void> InsertHistory(PgConnection& db, int64_t post_id, Instant at, std::optional<PostState> from,
                           PostState to, const std::string& actor) {
  internal::PgParam from_name;
  if (from) from_name = std::string(PostStateName(*from));
  auto r = db.Exec("INSERT INTO post_history (post_id, at, from_state, to_state, actor) VALUES ($1, $2, $3, $4, $5)",
                   {P(post_id), P(ToUnix(at)), from_name, P(PostStateName(to)), P(actor)});
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> InsertAudit(PgConnection& db, const std::vector<AuditEntry>& entries) {
  for (const AuditEntry& entry : entries) {
    if (entry.organization.empty()) {
      return std::unexpected(Status(Code::kInvalidArgument, "an audit entry needs an organization"));
    }
    auto r = db.Exec(
        "INSERT INTO audit (organization, at, actor, action, post_id, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        {P(entry.organization), P(ToUnix(entry.at)), P(entry.actor), P(entry.action), P(entry.post_id),
         P(entry.detail)});
    if (!r) return std::unexpected(r.error());
  }
  return {};
}

Result<void> InsertAuditFor(PgConnection& db, std::vector<AuditEntry>& entries, const std::string& organization,
                            std::optional<int64_t> post_id) {
  for (AuditEntry& entry : entries) {
    if (entry.organization.empty()) entry.organization = organization;
    if (entry.organization != organization) {
      return std::unexpected(Status(Code::kInvalidArgument,
                                    "audit entry of organization \"" + entry.organization +
                                        "\" given with a write for organization \"" + organization + "\""));
    }
    if (!entry.post_id) entry.post_id = post_id;
  }
  return InsertAudit(db, entries);
}

Status Conflict(const Post& post, int64_t stored_version) {
  return Status(Code::kFailedPrecondition,
                "post " + std::to_string(post.id) + " was changed by someone else: this change is based on version " +
                    std::to_string(post.version) + " but the stored post is at version " +
                    std::to_string(stored_version) + "; reload it and apply the change again");
}

Status NotInOrganization(int64_t id, std::string_view organization) {
  return Status(Code::kNotFound,
                "post " + std::to_string(id) + " not found in organization " + std::string(organization));
}

// The message of a write whose BEGIN failed: nothing of it reached the server.
constexpr std::string_view kNotBegun = "could not begin a transaction";

// Runs `body` inside BEGIN ... COMMIT; rolls back when it fails.
template <class T, class F>
Result<T> InTransaction(PgConnection& db, F&& body) {
  if (auto r = db.ExecScript("BEGIN"); !r) {
    return std::unexpected(Status(r.error().code(), std::string(kNotBegun) + ": " + r.error().message()));
  }
  Result<T> result = body(db);
  if (!result) {
    (void)db.ExecScript("ROLLBACK");
    return result;
  }
  if (auto r = db.ExecScript("COMMIT"); !r) {
    if (db.ok()) (void)db.ExecScript("ROLLBACK");
    // A lost connection during COMMIT leaves the outcome unknown to us.
    return std::unexpected(Status(Code::kUnavailable, "committing to PostgreSQL at " + db.target() +
                                                          " failed: " + r.error().message()));
  }
  return result;
}

using Accounts = std::set<std::pair<std::string, std::string>>;

}  // namespace

// ---- The watcher: LISTEN on a connection of its own. ----

namespace {

class ChangeListener {
 public:
  ChangeListener(std::string url, std::string instance_id,
                 std::function<void(std::string, std::string)> on_change)
      : url_(std::move(url)), instance_id_(std::move(instance_id)), on_change_(std::move(on_change)) {
    if (pipe(wake_) != 0) wake_[0] = wake_[1] = -1;
    thread_ = std::thread([this] { Loop(); });
  }
  ~ChangeListener() {
    stopping_.store(true);
    if (wake_[1] >= 0) {
      char byte = 1;
      (void)!write(wake_[1], &byte, 1);
    }
    thread_.join();
    if (wake_[0] >= 0) close(wake_[0]);
    if (wake_[1] >= 0) close(wake_[1]);
  }

 private:
  // Waits up to `ms` for `fd` (or only for the stop signal when fd < 0);
  // false when stopping.
  bool Wait(int fd, int ms) {
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {fd, POLLIN, 0}};
    int n = fd >= 0 ? 2 : 1;
    poll(fds, static_cast<nfds_t>(n), ms);
    return !stopping_.load();
  }

  void Loop() {
    int backoff_ms = 100;
    while (!stopping_.load()) {
      auto conn = PgConnection::Open(url_);
      if (conn && (*conn)->ExecScript("LISTEN " + std::string(kChannel))) {
        backoff_ms = 100;
        Listen(**conn);
        continue;
      }
      if (!Wait(-1, backoff_ms)) return;
      backoff_ms = std::min(backoff_ms * 2, 5000);
    }
  }

  // Returns when stopping or when the connection broke.
  void Listen(PgConnection& conn) {
    PGconn* raw = conn.raw();
    while (!stopping_.load()) {
      int fd = PQsocket(raw);
      if (fd < 0) return;
      if (!Wait(fd, 1000)) return;
      if (PQconsumeInput(raw) == 0) return;
      while (PGnotify* note = PQnotifies(raw)) {
        std::string_view payload = note->extra;
        size_t first = payload.find('|');
        size_t second = first == std::string_view::npos ? first : payload.find('|', first + 1);
        if (second != std::string_view::npos && payload.substr(0, first) != instance_id_) {
          on_change_(std::string(payload.substr(first + 1, second - first - 1)),
                     std::string(payload.substr(second + 1)));
        }
        PQfreemem(note);
      }
      if (!conn.ok()) return;
    }
  }

  const std::string url_;
  const std::string instance_id_;
  const std::function<void(std::string, std::string)> on_change_;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::thread thread_;  // last
};

// ---- Account locks: a session advisory lock on a connection of their own. ----

class PgAccountLock final : public Store::AccountLock {
 public:
  PgAccountLock(std::shared_ptr<PgPool> pool, std::unique_ptr<PgConnection> conn, std::string key)
      : pool_(std::move(pool)), conn_(std::move(conn)), key_(std::move(key)) {}
  ~PgAccountLock() override {
    // When the connection broke, the server already dropped the lock with it.
    auto r = conn_->Exec("SELECT pg_advisory_unlock(hashtextextended($1, 0))", {P(key_)});
    bool released = r && r->rows() == 1 && r->Bool(0, 0);
    pool_->Release(std::move(conn_), released, /*limited=*/false);
  }

 private:
  std::shared_ptr<PgPool> pool_;
  std::unique_ptr<PgConnection> conn_;
  std::string key_;
};

}  // namespace

struct PostgresStore::Impl {
  Impl(std::string url, int applied)
      : pool(std::make_shared<PgPool>(url, kMaxConnectionsInUse, kMaxIdleConnections)),
        url(std::move(url)),
        migrations_applied(applied),
        instance_id(RandomId()) {}

  // Tells the other processes which accounts a committed write changed. After
  // the commit, not inside it: a NOTIFY in the transaction holds PostgreSQL's
  // notification-queue lock through the commit's flush, which serialised every
  // writer (210 creates/s with 8 threads, 873/s without). A notice lost to a
  // crash between the two is covered by the periodic catch-up (Maintain).
  void NotifyAfterCommit(const Accounts& accounts) {
    (void)pool->With([&](PgConnection& db) { return Notify(db, accounts); });
  }

  Result<void> Notify(PgConnection& db, const Accounts& accounts) {
    for (const auto& [organization, account] : accounts) {
      auto r = db.Exec("SELECT pg_notify($1, $2)",
                       {P(kChannel), P(instance_id + "|" + organization + "|" + account)});
      if (!r) return std::unexpected(r.error());
    }
    return {};
  }

  template <class T, class F>
  Result<T> Write(F&& body) {
    return pool->With([&](PgConnection& db) { return InTransaction<T>(db, body); },
                      [](const Status& error) { return error.message().starts_with(kNotBegun); });
  }

  std::shared_ptr<PgPool> pool;
  const std::string url;
  const int migrations_applied;
  const std::string instance_id;
  std::mutex mu;
  std::unique_ptr<ChangeListener> listener;  // guarded by mu
};

PostgresStore::PostgresStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PostgresStore::~PostgresStore() {
  std::unique_ptr<ChangeListener> listener;
  {
    std::lock_guard lock(impl_->mu);
    listener = std::move(impl_->listener);
  }
  listener.reset();  // joins its thread
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url) {
  auto conn = PgConnection::Open(url);
  if (!conn) return std::unexpected(conn.error());
  auto applied = internal::PgMigrate(**conn, internal::PgSchemaMigrations());
  if (!applied) return std::unexpected(applied.error());
  auto impl = std::make_unique<Impl>(url, *applied);
  impl->pool->Release(std::move(*conn), true, /*limited=*/false);
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
}

Result<Post> PostgresStore::CreatePost(Post post, std::vector<AuditEntry> audit,
                                       std::optional<IdempotencyRecord> idempotency) {
  if (post.organization.empty()) {
    return std::unexpected(Status(Code::kInvalidArgument, "a post needs an organization"));
  }
  if (idempotency) {
    if (idempotency->organization.empty()) idempotency->organization = post.organization;
    if (idempotency->organization != post.organization) {
      return std::unexpected(Status(Code::kInvalidArgument, "idempotency key of organization \"" +
                                                                idempotency->organization +
                                                                "\" given with a post of \"" +
                                                                post.organization + "\""));
    }
  }
  auto result = impl_->Write<Post>([&](PgConnection& db) -> Result<Post> {
    Post stored = post;
    std::vector<AuditEntry> entries = audit;
    auto inserted = db.Exec(InsertPostSql(), PostFields(stored));
    if (!inserted) return std::unexpected(inserted.error());
    stored.id = inserted->Int(0, 0);
    stored.change_seq = inserted->Int(0, 1);
    stored.version = 1;
    if (auto r = InsertHistory(db, stored.id, stored.created_at, std::nullopt, stored.state,
                               ActorOf(entries, stored.author));
        !r) {
      return std::unexpected(r.error());
    }
    if (auto r = InsertAuditFor(db, entries, stored.organization, stored.id); !r) {
      return std::unexpected(r.error());
    }
    if (idempotency) {
      auto r = db.Exec(
          "INSERT INTO idempotency_keys (organization, key, request_hash, post_id, status, created_at) "
          "VALUES ($1, $2, $3, $4, $5, $6)",
          {P(idempotency->organization), P(idempotency->key), P(idempotency->request_hash), P(stored.id),
           P(int64_t{idempotency->status}), P(ToUnix(idempotency->created_at))});
      if (!r && r.error().code() == Code::kAlreadyExists) {
        return std::unexpected(Status(Code::kAlreadyExists,
                                      "idempotency key \"" + idempotency->key + "\" of organization " +
                                          idempotency->organization +
                                          " is already taken; the first answer is in FindIdempotency"));
      }
      if (!r) return std::unexpected(r.error());
    }
    return stored;
  });
  if (result) impl_->NotifyAfterCommit({{result->organization, result->account}});
  return result;
}

Result<std::vector<Post>> PostgresStore::UpdatePosts(std::vector<PostChange> changes) {
  if (changes.empty()) return std::vector<Post>();
  Accounts accounts;
  auto result = impl_->Write<std::vector<Post>>([&](PgConnection& db) -> Result<std::vector<Post>> {
    accounts.clear();  // a retried write starts again
    std::vector<Post> stored;
    stored.reserve(changes.size());
    for (const PostChange& change : changes) {
      Post post = change.post;
      std::vector<AuditEntry> audit = change.audit;
      // The row lock makes concurrent updates of one post queue up here; the
      // later ones then see the new version and fail the check.
      auto current = db.Exec("SELECT state, version, account FROM posts WHERE id = $1 AND organization = $2 FOR UPDATE",
                             {P(post.id), P(post.organization)});
      if (!current) return std::unexpected(current.error());
      if (current->rows() == 0) return std::unexpected(NotInOrganization(post.id, post.organization));
      if (current->Int(0, 1) != post.version) return std::unexpected(Conflict(post, current->Int(0, 1)));
      auto old_state = ParsePostState(current->Text(0, 0));
      if (!old_state) {
        return std::unexpected(Status(Code::kInternal, "post " + std::to_string(post.id) +
                                                           " has unknown state \"" + current->Text(0, 0) + "\""));
      }
      accounts.emplace(post.organization, current->Text(0, 2));
      PgParams params = PostFields(post);
      params.push_back(P(post.id));
      params.push_back(P(post.organization));
      params.push_back(P(post.version));
      auto updated = db.Exec(UpdatePostSql(), params);
      if (!updated) return std::unexpected(updated.error());
      if (updated->rows() != 1) {
        return std::unexpected(Status(Code::kFailedPrecondition,
                                      "post " + std::to_string(post.id) + " at version " +
                                          std::to_string(post.version) +
                                          " changed while it was being updated; reload it and retry"));
      }
      post.change_seq = updated->Int(0, 0);
      post.version += 1;
      accounts.emplace(post.organization, post.account);
      if (*old_state != post.state) {
        if (auto r = InsertHistory(db, post.id, post.updated_at, *old_state, post.state, ActorOf(audit, ""));
            !r) {
          return std::unexpected(r.error());
        }
      }
      if (auto r = InsertAuditFor(db, audit, post.organization, post.id); !r) return std::unexpected(r.error());
      stored.push_back(std::move(post));
    }
    return stored;
  });
  if (result) impl_->NotifyAfterCommit(accounts);
  return result;
}

Result<void> PostgresStore::AppendAudit(std::vector<AuditEntry> entries) {
  if (entries.empty()) return {};
  return impl_->Write<void>([&](PgConnection& db) { return InsertAudit(db, entries); });
}

Result<void> PostgresStore::RecordPolicyVersion(const PolicyVersion& version) {
  return impl_->pool->With([&](PgConnection& db) -> Result<void> {
    auto r = db.Exec("INSERT INTO policy_versions (organization, sha256, loaded_at, source) VALUES ($1, $2, $3, $4)",
                     {P(version.organization), P(version.sha256), P(ToUnix(version.loaded_at)), P(version.source)});
    if (!r) return std::unexpected(r.error());
    return {};
  });
}

Result<Post> PostgresStore::GetPost(std::string_view organization, int64_t id) {
  return impl_->pool->With([&](PgConnection& db) -> Result<Post> {
    auto r = db.Exec("SELECT " + PostColumns() + " FROM posts WHERE id = $1 AND organization = $2",
                     {P(id), P(organization)});
    if (!r) return std::unexpected(r.error());
    if (r->rows() == 0) return std::unexpected(NotInOrganization(id, organization));
    return ReadPost(*r, 0);
  });
}

Result<std::vector<Post>> PostgresStore::ListPosts(const PostQuery& q) {
  if (q.organization.empty()) return std::unexpected(NeedsOrganization());
  std::string sql = "SELECT " + PostColumns() + " FROM posts WHERE organization = $1 AND id > $2";
  PgParams params = {P(q.organization), P(q.after_id)};
  auto next = [&] { return "$" + std::to_string(params.size() + 1); };
  if (q.account) {
    sql += " AND account = " + next();
    params.push_back(P(*q.account));
  }
  if (q.state) {
    sql += " AND state = " + next();
    params.push_back(P(PostStateName(*q.state)));
  }
  if (q.from) {
    sql += " AND COALESCE(planned_at, requested_at) >= " + next();
    params.push_back(P(ToUnix(*q.from)));
  }
  if (q.to) {
    sql += " AND COALESCE(planned_at, requested_at) < " + next();
    params.push_back(P(ToUnix(*q.to)));
  }
  sql += " ORDER BY id LIMIT " + next();
  params.push_back(P(int64_t{ClampLimit(q.limit)}));
  return impl_->pool->With([&](PgConnection& db) -> Result<std::vector<Post>> {
    auto r = db.Exec(sql, params);
    if (!r) return std::unexpected(r.error());
    return ReadPosts(*r);
  });
}

Result<std::vector<AuditEntry>> PostgresStore::ListAudit(const AuditQuery& q) {
  if (q.organization.empty()) return std::unexpected(NeedsOrganization());
  std::string sql = "SELECT " + std::string(internal::kAuditColumns) +
                    " FROM audit WHERE organization = $1 AND id > $2";
  PgParams params = {P(q.organization), P(q.after_id)};
  auto next = [&] { return "$" + std::to_string(params.size() + 1); };
  if (q.post_id) {
    sql += " AND post_id = " + next();
    params.push_back(P(*q.post_id));
  }
  if (q.from) {
    sql += " AND at >= " + next();
    params.push_back(P(ToUnix(*q.from)));
  }
  if (q.to) {
    sql += " AND at < " + next();
    params.push_back(P(ToUnix(*q.to)));
  }
  sql += " ORDER BY id LIMIT " + next();
  params.push_back(P(int64_t{ClampLimit(q.limit)}));
  return impl_->pool->With([&](PgConnection& db) -> Result<std::vector<AuditEntry>> {
    auto r = db.Exec(sql, params);
    if (!r) return std::unexpected(r.error());
    std::vector<AuditEntry> entries;
    for (int i = 0; i < r->rows(); ++i) {
      entries.push_back(AuditEntry{r->Int(i, 0), r->Text(i, 1), FromUnix(r->Int(i, 2)), r->Text(i, 3),
                                   r->Text(i, 4), r->OptionalInt(i, 5), r->Text(i, 6)});
    }
    return entries;
  });
}

Result<std::vector<Post>> PostgresStore::LoadActive(Instant since) {
  std::string active;
  for (int i = 0; i <= static_cast<int>(PostState::kMissed); ++i) {
    auto state = static_cast<PostState>(i);
    if (IsFinal(state)) continue;
    active += active.empty() ? "'" : ", '";
    active += PostStateName(state);
    active += "'";
  }
  std::string sql = "SELECT " + PostColumns() + " FROM posts WHERE state IN (" + active +
                    ") OR COALESCE(published_at, planned_at) >= $1 ORDER BY id";
  return impl_->pool->With([&](PgConnection& db) -> Result<std::vector<Post>> {
    auto r = db.Exec(sql, {P(ToUnix(since))});
    if (!r) return std::unexpected(r.error());
    return ReadPosts(*r);
  });
}

Result<std::vector<StateChange>> PostgresStore::ListHistory(std::string_view organization, int64_t post_id) {
  return impl_->pool->With([&](PgConnection& db) -> Result<std::vector<StateChange>> {
    auto exists = db.Exec("SELECT 1 FROM posts WHERE id = $1 AND organization = $2", {P(post_id), P(organization)});
    if (!exists) return std::unexpected(exists.error());
    if (exists->rows() == 0) return std::unexpected(NotInOrganization(post_id, organization));
    auto r = db.Exec("SELECT at, from_state, to_state, actor FROM post_history WHERE post_id = $1 ORDER BY id",
                     {P(post_id)});
    if (!r) return std::unexpected(r.error());
    std::vector<StateChange> changes;
    for (int i = 0; i < r->rows(); ++i) {
      StateChange change{post_id, FromUnix(r->Int(i, 0)), std::nullopt, PostState::kPendingApproval,
                         r->Text(i, 3)};
      if (!r->IsNull(i, 1)) change.from = ParsePostState(r->Text(i, 1));
      auto to = ParsePostState(r->Text(i, 2));
      if (!to || (!r->IsNull(i, 1) && !change.from)) {
        return std::unexpected(Status(Code::kInternal, "post " + std::to_string(post_id) +
                                                           " has a history row with an unknown state"));
      }
      change.to = *to;
      changes.push_back(std::move(change));
    }
    return changes;
  });
}

Result<std::optional<IdempotencyRecord>> PostgresStore::FindIdempotency(std::string_view organization,
                                                                        std::string_view key) {
  return impl_->pool->With([&](PgConnection& db) -> Result<std::optional<IdempotencyRecord>> {
    auto r = db.Exec(
        "SELECT request_hash, post_id, status, created_at FROM idempotency_keys "
        "WHERE organization = $1 AND key = $2",
        {P(organization), P(key)});
    if (!r) return std::unexpected(r.error());
    if (r->rows() == 0) return std::optional<IdempotencyRecord>();
    return IdempotencyRecord{std::string(organization), std::string(key), r->Text(0, 0), r->Int(0, 1),
                             static_cast<int>(r->Int(0, 2)), FromUnix(r->Int(0, 3))};
  });
}

Result<void> PostgresStore::Ping() {
  return impl_->pool->With([&](PgConnection& db) -> Result<void> {
    auto r = db.Exec("SELECT 1");
    if (!r) return std::unexpected(r.error());
    return {};
  });
}

Result<std::unique_ptr<Store::AccountLock>> PostgresStore::LockAccount(std::string_view organization,
                                                                       std::string_view account) {
  auto conn = impl_->pool->Acquire(/*limited=*/false);
  if (!conn) return std::unexpected(conn.error());
  std::string key = std::string(organization) + "/" + std::string(account);
  auto r = (*conn)->Exec("SELECT pg_advisory_lock(hashtextextended($1, 0))", {P(key)});
  if (!r) {
    impl_->pool->Release(std::move(*conn), false, /*limited=*/false);
    return std::unexpected(r.error());
  }
  return std::unique_ptr<AccountLock>(
      std::make_unique<PgAccountLock>(impl_->pool, std::move(*conn), std::move(key)));
}

Result<std::vector<Post>> PostgresStore::AccountChangesSince(std::string_view organization,
                                                             std::string_view account, int64_t after_seq) {
  return impl_->pool->With([&](PgConnection& db) -> Result<std::vector<Post>> {
    auto r = db.Exec("SELECT " + PostColumns() +
                         " FROM posts WHERE organization = $1 AND account = $2 AND change_seq > $3"
                         " ORDER BY change_seq",
                     {P(organization), P(account), P(after_seq)});
    if (!r) return std::unexpected(r.error());
    return ReadPosts(*r);
  });
}

void PostgresStore::WatchChanges(std::function<void(std::string organization, std::string account)> on_change) {
  std::lock_guard lock(impl_->mu);
  if (impl_->listener) return;  // at most once
  impl_->listener = std::make_unique<ChangeListener>(impl_->url, impl_->instance_id, std::move(on_change));
}

Result<void> PostgresStore::RenewLease(std::string_view process, Instant until) {
  return impl_->pool->With([&](PgConnection& db) -> Result<void> {
    auto r = db.Exec(
        "INSERT INTO leases (process, until) VALUES ($1, $2) "
        "ON CONFLICT (process) DO UPDATE SET until = EXCLUDED.until",
        {P(process), P(ToUnix(until))});
    if (!r) return std::unexpected(r.error());
    return {};
  });
}

Result<void> PostgresStore::SavePause(const AccountPause& pause) {
  return impl_->pool->With([&](PgConnection& db) -> Result<void> {
    auto r = db.Exec(
        "INSERT INTO account_pauses (organization, account, rule, until, why) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (organization, account) DO UPDATE SET rule = EXCLUDED.rule, until = EXCLUDED.until, "
        "why = EXCLUDED.why WHERE EXCLUDED.until > account_pauses.until",
        {P(pause.organization), P(pause.account), P(pause.rule), P(ToUnix(pause.until)), P(pause.why)});
    if (!r) return std::unexpected(r.error());
    return {};
  });
}

Result<std::vector<AccountPause>> PostgresStore::ActivePauses(Instant now) {
  return impl_->pool->With([&](PgConnection& db) -> Result<std::vector<AccountPause>> {
    auto r = db.Exec(
        "SELECT organization, account, rule, until, why FROM account_pauses WHERE until > $1 "
        "ORDER BY organization, account",
        {P(ToUnix(now))});
    if (!r) return std::unexpected(r.error());
    std::vector<AccountPause> out;
    for (int i = 0; i < r->rows(); ++i) {
      out.push_back({r->Text(i, 0), r->Text(i, 1), r->Text(i, 2), FromUnix(r->Int(i, 3)), r->Text(i, 4)});
    }
    return out;
  });
}

Result<std::vector<Post>> PostgresStore::OrphanedClaims(Instant now) {
  return impl_->pool->With([&](PgConnection& db) -> Result<std::vector<Post>> {
    auto r = db.Exec("SELECT " + PostColumns("p.") +
                         " FROM posts p LEFT JOIN leases l ON l.process = p.claimed_by"
                         " WHERE p.state = 'publishing' AND (p.claimed_by = '' OR l.process IS NULL"
                         " OR l.until < $1) ORDER BY p.id",
                     {P(ToUnix(now))});
    if (!r) return std::unexpected(r.error());
    return ReadPosts(*r);
  });
}

Result<int> PostgresStore::SchemaVersion() {
  return impl_->pool->With([&](PgConnection& db) { return internal::PgSchemaVersion(db); });
}

int PostgresStore::LatestSchemaVersion() { return static_cast<int>(internal::PgSchemaMigrations().size()); }

int PostgresStore::migrations_applied() const { return impl_->migrations_applied; }

const std::string& PostgresStore::instance_id() const { return impl_->instance_id; }

}  // namespace herald::storage
