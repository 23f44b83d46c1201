#include "storage/internal/migrations.h"

#include <array>
#include <string>

namespace herald::storage::internal {
namespace {

// Never edit a step once released: add a new one.
constexpr std::array kSteps = {
    Migration{1, "posts, history, audit, idempotency keys, policy versions", R"sql(
CREATE TABLE posts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  organization TEXT NOT NULL,
  account TEXT NOT NULL,
  author TEXT NOT NULL,
  text TEXT NOT NULL,
  labels TEXT NOT NULL,
  priority TEXT NOT NULL CHECK (priority IN ('normal', 'urgent')),
  media TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  planned_at INTEGER,
  state TEXT NOT NULL,
  reasons TEXT NOT NULL,
  approved_by TEXT NOT NULL,
  remote_id TEXT NOT NULL,
  remote_url TEXT NOT NULL,
  published_at INTEGER,
  failure TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL
);
CREATE INDEX posts_by_organization ON posts (organization, id);
CREATE INDEX posts_by_account ON posts (organization, account, id);
CREATE INDEX posts_by_state ON posts (state, planned_at);

CREATE TABLE post_history (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts (id),
  at INTEGER NOT NULL,
  from_state TEXT,
  to_state TEXT NOT NULL,
  actor TEXT NOT NULL
);
CREATE INDEX post_history_by_post ON post_history (post_id, id);

CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  organization TEXT NOT NULL,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  post_id INTEGER,
  detail TEXT NOT NULL
);
CREATE INDEX audit_by_organization ON audit (organization, id);
CREATE INDEX audit_by_post ON audit (organization, post_id, id);

CREATE TABLE idempotency_keys (
  organization TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  post_id INTEGER NOT NULL REFERENCES posts (id),
  status INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (organization, key)
) WITHOUT ROWID;

CREATE TABLE policy_versions (
  id INTEGER PRIMARY KEY,
  organization TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  loaded_at INTEGER NOT NULL,
  source TEXT NOT NULL
);
CREATE INDEX policy_versions_by_organization ON policy_versions (organization, id);
)sql"},
    Migration{2, "change numbers, claims and leases for several processes", R"sql(
ALTER TABLE posts ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
UPDATE posts SET change_seq = id;
CREATE INDEX posts_by_change_seq ON posts (change_seq);
CREATE INDEX posts_by_account_change ON posts (organization, account, change_seq);
CREATE TABLE leases (
  process TEXT PRIMARY KEY,
  until INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
    Migration{3, "account pauses (platform rate limits, open breakers)", R"sql(
CREATE TABLE account_pauses (
  organization TEXT NOT NULL,
  account TEXT NOT NULL,
  rule TEXT NOT NULL,
  until INTEGER NOT NULL,
  why TEXT NOT NULL,
  PRIMARY KEY (organization, account)
) WITHOUT ROWID;
)sql"},
    Migration{4, "re-checks of unconfirmed posts", R"sql(
ALTER TABLE posts ADD COLUMN unconfirmed_since INTEGER;
ALTER TABLE posts ADD COLUMN recheck_at INTEGER;
ALTER TABLE posts ADD COLUMN rechecks INTEGER NOT NULL DEFAULT 0;
)sql"},
    Migration{5, "account grants (OAuth tokens, sealed)", R"sql(
CREATE TABLE account_grants (
  organization TEXT NOT NULL,
  account TEXT NOT NULL,
  key_id TEXT NOT NULL,
  sealed TEXT NOT NULL,
  expires_at INTEGER,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (organization, account)
) WITHOUT ROWID;
)sql"},
    Migration{6, "OAuth: accounts needing reconnection, authorizations awaiting their callback", R"sql(
ALTER TABLE account_grants ADD COLUMN needs_reconnect TEXT NOT NULL DEFAULT '';
CREATE TABLE oauth_authorizations (
  state_hash TEXT PRIMARY KEY,
  organization TEXT NOT NULL,
  account TEXT NOT NULL,
  platform TEXT NOT NULL,
  caller TEXT NOT NULL,
  key_id TEXT NOT NULL,
  sealed_verifier TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX oauth_authorizations_expiry ON oauth_authorizations (expires_at);
)sql"},
    Migration{7, "engagement read back per published post", R"sql(
CREATE TABLE engagement_reads (
  post_id INTEGER NOT NULL REFERENCES posts (id),
  point INTEGER NOT NULL,
  organization TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('claimed', 'read', 'gone', 'failed')),
  claimed_by TEXT NOT NULL,
  claim_until INTEGER NOT NULL,
  read_at INTEGER,
  replies INTEGER,
  reposts INTEGER,
  likes INTEGER,
  quotes INTEGER,
  bookmarks INTEGER,
  views INTEGER,
  detail TEXT NOT NULL,
  PRIMARY KEY (post_id, point)
) WITHOUT ROWID;
CREATE INDEX engagement_reads_by_organization ON engagement_reads (organization, post_id);
CREATE INDEX posts_by_published ON posts (state, published_at);
)sql"},
    Migration{8, "the inbox: items read from the accounts, and where each account's reads stand", R"sql(
CREATE TABLE inbox_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  organization TEXT NOT NULL,
  account TEXT NOT NULL,
  remote_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  author TEXT NOT NULL,
  author_name TEXT NOT NULL,
  text TEXT NOT NULL,
  language TEXT NOT NULL,
  url TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  in_reply_to TEXT NOT NULL,
  reply_ref TEXT NOT NULL,
  post_id INTEGER REFERENCES posts (id),
  department TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'assigned', 'answered', 'dismissed')),
  assignee TEXT NOT NULL,
  reply_post_id INTEGER REFERENCES posts (id),
  received_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version INTEGER NOT NULL,
  UNIQUE (organization, account, remote_id)
);
CREATE INDEX inbox_items_by_organization ON inbox_items (organization, id);
CREATE INDEX inbox_items_by_reply ON inbox_items (reply_post_id);
CREATE INDEX posts_by_remote_id ON posts (organization, account, remote_id);
CREATE TABLE inbox_reads (
  organization TEXT NOT NULL,
  account TEXT NOT NULL,
  cursor TEXT NOT NULL,
  claimed_by TEXT NOT NULL,
  claim_until INTEGER NOT NULL,
  read_at INTEGER,
  detail TEXT NOT NULL,
  PRIMARY KEY (organization, account)
) WITHOUT ROWID;
)sql"},
    Migration{9, "events and their deliveries to subscribers", R"sql(
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  organization TEXT NOT NULL,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  payload TEXT NOT NULL,
  routed INTEGER NOT NULL
);
CREATE INDEX events_by_organization ON events (organization, seq);
CREATE INDEX events_unrouted ON events (routed, seq);
CREATE TABLE event_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL REFERENCES events (id),
  organization TEXT NOT NULL,
  url TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT NOT NULL,
  next_attempt INTEGER NOT NULL,
  claim TEXT NOT NULL,
  claim_until INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (event_id, url)
);
CREATE INDEX event_deliveries_due ON event_deliveries (state, next_attempt);
CREATE INDEX event_deliveries_by_organization ON event_deliveries (organization, id);
)sql"},
    Migration{10, "replies: a post that answers an inbox item, and what the connector threads it under", R"sql(
ALTER TABLE posts ADD COLUMN answers_item INTEGER REFERENCES inbox_items (id);
ALTER TABLE posts ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
CREATE INDEX posts_by_answers_item ON posts (answers_item) WHERE answers_item IS NOT NULL;
)sql"},
    Migration{11, "narrower indexes: only the rows each query looks for", R"sql(
DROP INDEX posts_by_state;
CREATE INDEX posts_publishing ON posts (id) WHERE state = 'publishing';
DROP INDEX posts_by_published;
CREATE INDEX posts_by_published ON posts (published_at) WHERE state = 'published';
DROP INDEX posts_by_remote_id;
CREATE INDEX posts_by_remote_id ON posts (organization, account, remote_id) WHERE remote_id <> '';
DROP INDEX events_unrouted;
CREATE INDEX events_unrouted ON events (seq) WHERE routed = 0;
)sql"},
    Migration{12, "a create audit entry keeps its text and reasons only once the post's change", R"sql(
CREATE TRIGGER audit_keeps_created_text BEFORE UPDATE OF text, reasons ON posts
WHEN old.text <> new.text OR old.reasons <> new.reasons
BEGIN
  UPDATE audit SET detail = '~3' || length(CAST(old.text AS BLOB)) || ':' || old.text || substr(detail, 3)
    WHERE organization = old.organization AND post_id = old.id AND action = 'create'
      AND substr(detail, 1, 2) = '~2' AND old.text <> new.text;
  UPDATE audit SET detail = '~5' || length(CAST(old.text AS BLOB)) || ':' || old.text
      || length(CAST(old.reasons AS BLOB)) || ':' || old.reasons || substr(detail, 3)
    WHERE organization = old.organization AND post_id = old.id AND action = 'create'
      AND substr(detail, 1, 2) = '~4';
END;
)sql"},
};

constexpr std::string_view kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
))sql";

// True when this call applied the step, false when another process had.
Result<bool> ApplyStep(Connection& db, const Migration& step) {
  if (auto r = db.Exec("BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
  auto rollback_with = [&](Status error) -> Result<bool> {
    if (db.InTransaction()) (void)db.Exec("ROLLBACK");
    return std::unexpected(std::move(error));
  };
  // Another process may have migrated between our read and this lock.
  auto current = SchemaVersion(db);
  if (!current) return rollback_with(current.error());
  if (*current >= step.version) {
    if (auto r = db.Exec("ROLLBACK"); !r) return std::unexpected(r.error());
    return false;
  }
  if (*current != step.version - 1) {
    return rollback_with(Status(Code::kInternal, "schema of " + db.path() + " is at version " +
                                                     std::to_string(*current) + ", cannot apply step " +
                                                     std::to_string(step.version)));
  }
  if (auto r = db.Exec(step.sql); !r) return rollback_with(r.error());
  auto record = db.Prepare(
      "INSERT INTO schema_migrations (version, name, applied_at) "
      "VALUES (?, ?, CAST(strftime('%s', 'now') AS INTEGER))");
  if (!record) return rollback_with(record.error());
  if (auto r = record->Bind(int64_t{step.version}).Bind(step.name).Run(); !r) {
    return rollback_with(r.error());
  }
  if (auto r = db.Exec("COMMIT"); !r) return rollback_with(r.error());
  return true;
}

}  // namespace

std::span<const Migration> SchemaMigrations() { return kSteps; }

Result<int> SchemaVersion(Connection& db) {
  auto query = db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!query) return std::unexpected(query.error());
  auto row = query->Step();
  if (!row) return std::unexpected(row.error());
  return static_cast<int>(query->Int(0));
}

Result<int> Migrate(Connection& db, std::span<const Migration> steps) {
  if (auto r = db.Exec(kCreateMigrationsTable); !r) return std::unexpected(r.error());
  return RunMigrations(steps, {"database " + db.path(), "another file", [&] { return SchemaVersion(db); },
                               [&](const Migration& step) { return ApplyStep(db, step); }});
}

}  // namespace herald::storage::internal
