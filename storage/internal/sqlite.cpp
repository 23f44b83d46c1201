#include "storage/internal/sqlite.h"

#include <sqlite3.h>

#include <utility>

namespace herald::storage::internal {
namespace {

constexpr int kBusyTimeoutMs = 5000;

Code CodeOf(int rc) {
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) return Code::kAlreadyExists;
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Code::kInvalidArgument;
    // The database cannot be reached or written right now: the caller may retry.
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return Code::kUnavailable;
    default:
      return Code::kInternal;
  }
}

Status ToStatus(sqlite3* db, int rc, std::string_view what) {
  const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (file != nullptr && *file != '\0') {
    message += " (database ";
    message += file;
    message += ")";
  }
  return Status(CodeOf(rc), std::move(message));
}

}  // namespace

Query::Query(Query&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), next_param_(other.next_param_),
      bind_error_(other.bind_error_) {}

Query::~Query() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Query& Query::Bind(int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, next_param_++, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Query& Query::Bind(std::string_view value) {
  int rc = sqlite3_bind_text64(stmt_, next_param_++, value.data(), value.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Query& Query::Bind(std::nullopt_t) {
  int rc = sqlite3_bind_null(stmt_, next_param_++);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Result<bool> Query::Step() {
  if (bind_error_ != 0) {
    return std::unexpected(Status(Code::kInternal, std::string("binding a parameter of \"") +
                                                       sqlite3_sql(stmt_) + "\": " +
                                                       sqlite3_errstr(bind_error_)));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(ToStatus(db_, sqlite3_extended_errcode(db_), "running a statement"));
}

Result<void> Query::Run() {
  auto row = Step();
  if (!row) return std::unexpected(row.error());
  return {};
}

bool Query::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

int64_t Query::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::optional<int64_t> Query::OptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

std::string Query::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status error(Code::kUnavailable, "cannot open database " + path + ": " +
                                         (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) +
                                         "; check that the folder exists and is writable");
    sqlite3_close_v2(db);
    return std::unexpected(std::move(error));
  }
  std::unique_ptr<Connection> connection(new Connection(db, path));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);

  // SQLite opens lazily: the first statement is where an unreadable or
  // unwritable file shows up, so every failure here names the path.
  auto unavailable = [&](const Status& cause) {
    return std::unexpected(Status(Code::kUnavailable, "cannot use database " + path + ": " +
                                                          cause.message() +
                                                          "; check that the file is a herald "
                                                          "database and its folder is writable"));
  };
  // A new database gets 1 KB pages (SQLite's default is 4 KB; an existing file
  // keeps its own). Every commit writes each page it changed to the WAL whole,
  // and a create changes about fifteen (the tables' and indexes' last pages),
  // so the page size is what a durable create writes: on a 2-core machine
  // creates went from about 4,000/s to 5,100-6,300/s (bench/run-load), for
  // about 70 bytes more a post on disk. Ignored by a file that has pages.
  if (auto r = connection->Exec("PRAGMA page_size=" + std::to_string(kNewPageSize)); !r) {
    return unavailable(r.error());
  }
  auto mode = connection->Prepare("PRAGMA journal_mode=WAL");
  if (!mode) return unavailable(mode.error());
  auto row = mode->Step();
  if (!row) return unavailable(row.error());
  if (!*row || mode->Text(0) != "wal") {
    return unavailable(Status(Code::kUnavailable, "cannot switch to WAL journal mode"));
  }
  if (auto r = connection->Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"); !r) {
    return unavailable(r.error());
  }
  return connection;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<void> Connection::Exec(std::string_view sql) {
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return std::unexpected(ToStatus(db_, sqlite3_extended_errcode(db_), "running \"" + text + "\""));
  }
  return {};
}

Result<Query> Connection::Prepare(std::string_view sql) {
  std::string key(sql);
  auto it = statements_.find(key);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT,
                                &stmt, nullptr);
    if (rc != SQLITE_OK) {
      return std::unexpected(ToStatus(db_, sqlite3_extended_errcode(db_), "preparing \"" + key + "\""));
    }
    it = statements_.emplace(std::move(key), stmt).first;
  }
  return Query(db_, it->second);
}

int64_t Connection::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int Connection::Changes() const { return sqlite3_changes(db_); }

bool Connection::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

Status Connection::LastError(std::string_view what) const {
  return ToStatus(db_, sqlite3_extended_errcode(db_), what);
}

Query& Query::Bind(const SqlValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return Bind(*i);
  if (const auto* text = std::get_if<std::string>(&value)) return Bind(std::string_view(*text));
  return Bind(std::nullopt);
}

Query& Query::BindAll(const SqlValues& values) {
  for (const SqlValue& v : values) Bind(v);
  return *this;
}

}  // namespace herald::storage::internal
