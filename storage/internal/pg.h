// A thin RAII layer over libpq, for storage/ only.
//
// PgConnection owns one PGconn; PgResult owns one PGresult. A statement with
// parameters is prepared once per connection (the server parses and plans it
// once) and then executed by name, text parameters and text results. Nothing
// here throws;
// failures come back as Status: a lost or refused connection is Unavailable
// (naming the server), a unique violation AlreadyExists, anything else
// Internal with the server's message.
//
// Thread-safety: a PgConnection must be used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "storage/internal/sql_value.h"

struct pg_conn;
struct pg_result;

namespace herald::storage::internal {

// One text parameter, or SQL NULL.
using PgParam = std::optional<std::string>;
using PgParams = std::vector<PgParam>;

inline PgParam P(int64_t v) { return std::to_string(v); }
inline PgParam P(std::string_view v) { return std::string(v); }
inline PgParam P(const std::string& v) { return v; }
inline PgParam P(const char* v) { return std::string(v); }
template <class T>
PgParam P(const std::optional<T>& v) {
  return v ? P(*v) : std::nullopt;
}
PgParam P(const SqlValue& v);
PgParams Params(const SqlValues& values);

class PgResult {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&&) = delete;
  PgResult(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  bool IsNull(int row, int column) const;
  std::string Text(int row, int column) const;
  int64_t Int(int row, int column) const;
  std::optional<int64_t> OptionalInt(int row, int column) const;
  bool Bool(int row, int column) const { return Text(row, column) == "t"; }
  // Rows an INSERT / UPDATE / DELETE touched.
  int64_t affected() const;

 private:
  pg_result* result_;
};

// One row of a PgResult, read the way rows.h reads rows.
struct PgRow {
  const PgResult& result;
  int row;

  bool IsNull(int column) const { return result.IsNull(row, column); }
  std::string Text(int column) const { return result.Text(row, column); }
  int64_t Int(int column) const { return result.Int(row, column); }
  std::optional<int64_t> OptionalInt(int column) const { return result.OptionalInt(row, column); }
};

// One statement of a batch: text with $1, $2, ... and its parameters.
struct PgStatement {
  std::string sql;
  PgParams params;
};

// Why a batch stopped: the statement that failed (the ones after it were not
// run) and its error.
struct PgBatchFailure {
  size_t index = 0;
  Status status;
};

class PgConnection {
 public:
  // Connects to `url` (a libpq URI or conninfo) with synchronous_commit on.
  // Unavailable, naming the server (without a password), when it cannot.
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& url);

  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // One statement with parameters $1, $2, ... A statement with parameters is
  // prepared on this connection the first time its text is seen (up to
  // kMaxPrepared texts; more run unprepared) and executed by name after that.
  Result<PgResult> Exec(std::string_view sql, const PgParams& params = {});
  // One or more statements without parameters.
  Result<void> ExecScript(std::string_view sql);
  // `statements` in order, sent together and answered together (one round
  // trip, libpq's pipeline mode), prepared as Exec prepares them. The first
  // failure skips the rest; outside a transaction they all run in one implicit
  // transaction. The results, one per statement.
  std::expected<std::vector<PgResult>, PgBatchFailure> ExecBatch(const std::vector<PgStatement>& statements);

  // False once the connection to the server is lost (or left in a state it
  // cannot be used in again).
  bool ok() const;
  // Connected and outside any transaction: safe to hand to the next caller.
  bool reusable() const;
  pg_conn* raw() { return conn_; }
  // "host:port/db" for messages.
  const std::string& target() const { return target_; }
  // How many statement texts are prepared on this connection.
  size_t prepared() const { return prepared_.size(); }

  static constexpr size_t kMaxPrepared = 512;

 private:
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // The name `sql` is prepared under, preparing it first; nullopt when the
  // cache is full (run it unprepared). Fails as Exec does.
  Result<std::optional<std::string_view>> PreparedName(std::string_view sql, int params);
  pg_result* ExecPrepared(std::string_view name, const std::vector<const char*>& values);

  PgConnection(pg_conn* conn, std::string target) : conn_(conn), target_(std::move(target)) {}
  Status ErrorOf(pg_result* result, std::string_view sql) const;

  pg_conn* conn_;
  std::string target_;
  bool broken_ = false;  // a batch left the connection unusable
  // Statement text -> its name on this connection's server session.
  std::unordered_map<std::string, std::string, TextHash, std::equal_to<>> prepared_;
  uint64_t next_name_ = 0;
};

// `url` with any password replaced by "***", for messages.
std::string RedactUrl(std::string_view url);

}  // namespace herald::storage::internal
