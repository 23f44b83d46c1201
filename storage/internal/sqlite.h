// A thin RAII layer over the sqlite3 C API, for storage/ only.
//
// Connection owns one sqlite3 handle and a cache of its prepared statements.
// Query borrows a cached statement and resets it when it goes out of scope.
// Nothing here throws; failures come back as Status with SQLite's message.
//
// Thread-safety: a Connection (and its Queries) must be used by one thread at
// a time; the handle is opened with SQLITE_OPEN_NOMUTEX.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "storage/internal/sql_value.h"

struct sqlite3;
struct sqlite3_stmt;

namespace herald::storage::internal {

class Query {
 public:
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  ~Query();  // resets the statement and clears its bindings

  // Bind the next parameter (1, 2, ...). A failure is remembered and reported
  // by the next Step.
  Query& Bind(int64_t value);
  Query& Bind(std::string_view value);
  Query& Bind(const std::string& value) { return Bind(std::string_view(value)); }
  Query& Bind(const char* value) { return Bind(std::string_view(value)); }
  Query& Bind(std::nullopt_t);
  template <class T>
  Query& Bind(const std::optional<T>& value) {
    return value ? Bind(*value) : Bind(std::nullopt);
  }
  Query& Bind(const SqlValue& value);
  // Binds each of `values` in turn.
  Query& BindAll(const SqlValues& values);

  // True when a row is available, false when done. Errors map SQLite codes to
  // herald codes (see ToStatus in sqlite.cpp).
  Result<bool> Step();
  // Steps a statement that returns no rows.
  Result<void> Run();

  bool IsNull(int column) const;
  int64_t Int(int column) const;
  std::optional<int64_t> OptionalInt(int column) const;
  std::string Text(int column) const;

 private:
  friend class Connection;
  Query(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int next_param_ = 1;
  int bind_error_ = 0;  // first failed sqlite3_bind_* code, 0 when none
};

// The page size of a database herald creates (an existing file keeps its own):
// what a commit writes to the WAL for each page it changed.
inline constexpr int kNewPageSize = 1024;

class Connection {
 public:
  // Opens (creating when `create`) the database file at `path` and sets the
  // pragmas herald relies on: WAL, synchronous=FULL, foreign_keys, busy_timeout.
  // Unavailable, naming the path, when the file cannot be opened or written.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool create);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one or more statements that return no rows.
  Result<void> Exec(std::string_view sql);
  // A cached prepared statement for `sql`, ready to bind.
  Result<Query> Prepare(std::string_view sql);

  int64_t LastInsertRowId() const;
  int Changes() const;
  // False once SQLite has rolled an open transaction back on its own (I/O
  // error, disk full): the caller's earlier work is gone.
  bool InTransaction() const;
  const std::string& path() const { return path_; }

  // A Status for the connection's last error, prefixed with `what`.
  Status LastError(std::string_view what) const;

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace herald::storage::internal
