#include "storage/internal/pg.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>

namespace herald::storage::internal {
namespace {

void IgnoreNotice(void*, const char*) {}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Abbreviate(std::string_view sql) {
  std::string out;
  for (char c : sql.substr(0, 60)) out += (c == '\n' ? ' ' : c);
  if (sql.size() > 60) out += "...";
  return out;
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  // scheme://user:password@host... -> scheme://user:***@host...
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t start = scheme + 3;
  size_t at = url.find('@', start);
  size_t slash = url.find('/', start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) return std::string(url);
  size_t colon = url.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

PgResult::~PgResult() {
  if (result_ != nullptr) PQclear(result_);
}

int PgResult::rows() const { return PQntuples(result_); }

bool PgResult::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string PgResult::Text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column), static_cast<size_t>(PQgetlength(result_, row, column)));
}

int64_t PgResult::Int(int row, int column) const {
  const char* text = PQgetvalue(result_, row, column);
  int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

std::optional<int64_t> PgResult::OptionalInt(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return Int(row, column);
}

int64_t PgResult::affected() const {
  const char* text = PQcmdTuples(result_);
  int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& url) {
  // Defaults first: whatever the URL says overrides them.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "herald", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return std::unexpected(Status(Code::kUnavailable, "cannot connect to PostgreSQL at " + RedactUrl(url) +
                                                          ": out of memory"));
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = Trim(PQerrorMessage(conn));
    PQfinish(conn);
    return std::unexpected(Status(Code::kUnavailable,
                                  "cannot connect to PostgreSQL at " + RedactUrl(url) + ": " + message));
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  std::string target = std::string(PQhost(conn) ? PQhost(conn) : "") + ":" + (PQport(conn) ? PQport(conn) : "") +
                       "/" + (PQdb(conn) ? PQdb(conn) : "");
  std::unique_ptr<PgConnection> connection(new PgConnection(conn, std::move(target)));
  // Every acknowledged write must be on disk, whatever the server's default.
  if (auto r = connection->ExecScript("SET synchronous_commit = on; SET client_min_messages = warning"); !r) {
    return std::unexpected(r.error());
  }
  return connection;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::ok() const { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

bool PgConnection::reusable() const { return ok() && PQtransactionStatus(conn_) == PQTRANS_IDLE; }

Status PgConnection::ErrorOf(PGresult* result, std::string_view sql) const {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = Trim(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  if (message.empty()) message = Trim(PQerrorMessage(conn_));
  std::string sqlstate = state ? state : "";
  if (!ok() || sqlstate.empty() || sqlstate.starts_with("08") || sqlstate.starts_with("57P") ||
      sqlstate == "53300") {
    return Status(Code::kUnavailable, "PostgreSQL at " + target_ + " is unavailable: " + message);
  }
  if (sqlstate == "23505") return Status(Code::kAlreadyExists, message);
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
    return Status(Code::kUnavailable, "PostgreSQL at " + target_ + ": " + message + "; retry");
  }
  if (sqlstate.starts_with("22")) return Status(Code::kInvalidArgument, message);
  return Status(Code::kInternal, "PostgreSQL at " + target_ + " failed \"" + Abbreviate(sql) +
                                     "\" (SQLSTATE " + sqlstate + "): " + message);
}

Result<std::optional<std::string_view>> PgConnection::PreparedName(std::string_view sql, int params) {
  if (auto it = prepared_.find(sql); it != prepared_.end()) return std::optional<std::string_view>(it->second);
  if (prepared_.size() >= kMaxPrepared) return std::optional<std::string_view>();
  std::string name = "herald_" + std::to_string(next_name_++);
  std::string text(sql);
  PGresult* result = PQprepare(conn_, name.c_str(), text.c_str(), params, nullptr);
  if (result == nullptr || PQresultStatus(result) != PGRES_COMMAND_OK) {
    Status error = ErrorOf(result, sql);
    if (result) PQclear(result);
    return std::unexpected(std::move(error));
  }
  PQclear(result);
  auto [it, inserted] = prepared_.emplace(std::move(text), std::move(name));
  return std::optional<std::string_view>(it->second);
}

PGresult* PgConnection::ExecPrepared(std::string_view name, const std::vector<const char*>& values) {
  // Names are built as std::string in the map, so data() is terminated.
  return PQexecPrepared(conn_, name.data(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0);
}

Result<PgResult> PgConnection::Exec(std::string_view sql, const PgParams& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const PgParam& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* result = nullptr;
  bool sent = false;
  for (int attempt = 0; !params.empty() && attempt < 2; ++attempt) {
    auto name = PreparedName(sql, static_cast<int>(values.size()));
    if (!name) return std::unexpected(name.error());
    if (!*name) break;
    result = ExecPrepared(**name, values);
    sent = true;
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    // The server dropped the statement (26000), or a table it reads changed
    // its columns (0A000, "cached plan must not change result type"):
    // forget it, and outside a transaction prepare it again once.
    if (state == nullptr || (std::strcmp(state, "26000") != 0 && std::strcmp(state, "0A000") != 0)) break;
    prepared_.erase(prepared_.find(sql));
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) break;
    PQclear(result);
    result = nullptr;
    sent = false;
  }
  if (!sent) {
    std::string text(sql);
    result = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                          nullptr, 0);
  }
  ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Status error = ErrorOf(result, sql);
    if (result) PQclear(result);
    return std::unexpected(std::move(error));
  }
  return PgResult(result);
}

std::expected<std::vector<PgResult>, PgBatchFailure> PgConnection::ExecBatch(
    const std::vector<PgStatement>& statements) {
  auto fail = [&](size_t index, Status status) {
    return std::unexpected(PgBatchFailure{index, std::move(status)});
  };
  if (PQenterPipelineMode(conn_) != 1) return fail(0, ErrorOf(nullptr, "pipeline"));
  // What was sent, in order: each statement's run, preceded by its PREPARE
  // the first time its text is seen.
  struct Sent {
    size_t statement;
    std::string prepare;  // the name being prepared, or empty for a run
  };
  std::vector<Sent> sent;
  std::unordered_map<std::string_view, std::string> preparing;
  bool sending = true;
  for (size_t i = 0; i < statements.size() && sending; ++i) {
    const PgStatement& st = statements[i];
    std::vector<const char*> values;
    values.reserve(st.params.size());
    for (const PgParam& p : st.params) values.push_back(p ? p->c_str() : nullptr);
    const int n = static_cast<int>(values.size());
    const char* name = nullptr;
    if (n > 0) {
      if (auto it = prepared_.find(st.sql); it != prepared_.end()) {
        name = it->second.c_str();
      } else if (auto p = preparing.find(st.sql); p != preparing.end()) {
        name = p->second.c_str();
      } else if (prepared_.size() + preparing.size() < kMaxPrepared) {
        auto [added, _] = preparing.emplace(st.sql, "herald_" + std::to_string(next_name_++));
        name = added->second.c_str();
        sending = PQsendPrepare(conn_, name, st.sql.c_str(), n, nullptr) == 1;
        if (sending) sent.push_back({i, added->second});
      }
    }
    if (!sending) break;
    sending = name != nullptr
                  ? PQsendQueryPrepared(conn_, name, n, values.data(), nullptr, nullptr, 0) == 1
                  : PQsendQueryParams(conn_, st.sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0) == 1;
    if (sending) sent.push_back({i, ""});
  }
  if (sending) sending = PQpipelineSync(conn_) == 1;

  std::vector<PgResult> results;
  results.reserve(statements.size());
  std::optional<PgBatchFailure> failure;
  if (!sending) failure = PgBatchFailure{sent.empty() ? 0 : sent.back().statement, ErrorOf(nullptr, "pipeline")};
  // Each sent command's results end with a NULL; the sync's result ends the batch.
  size_t command = 0;
  int nulls = 0;
  bool synced = false;
  while (sending && !synced) {
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) {
      if (++nulls > 1 && PQstatus(conn_) != CONNECTION_OK) break;
      if (nulls > 2) break;
      ++command;
      continue;
    }
    nulls = 0;
    ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_PIPELINE_SYNC) {
      synced = true;
      PQclear(r);
      continue;
    }
    if (command >= sent.size() || status == PGRES_PIPELINE_ABORTED) {
      PQclear(r);
      continue;
    }
    const Sent& what = sent[command];
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      if (!failure) failure = PgBatchFailure{what.statement, ErrorOf(r, statements[what.statement].sql)};
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      if (state != nullptr && (std::strcmp(state, "26000") == 0 || std::strcmp(state, "0A000") == 0)) {
        if (auto it = prepared_.find(statements[what.statement].sql); it != prepared_.end()) prepared_.erase(it);
      }
      PQclear(r);
      continue;
    }
    if (!what.prepare.empty()) {
      prepared_.emplace(statements[what.statement].sql, what.prepare);
      PQclear(r);
    } else {
      results.emplace_back(r);
    }
  }
  if (!synced || PQexitPipelineMode(conn_) != 1) {
    broken_ = true;
    if (!failure) failure = PgBatchFailure{statements.empty() ? 0 : statements.size() - 1, ErrorOf(nullptr, "pipeline")};
    failure->status = Status(Code::kUnavailable, "PostgreSQL at " + target_ +
                                                     " is unavailable: the connection broke during a batch: " +
                                                     failure->status.message());
  }
  if (failure) return std::unexpected(std::move(*failure));
  return results;
}

Result<void> PgConnection::ExecScript(std::string_view sql) {
  std::string text(sql);
  PGresult* result = PQexec(conn_, text.c_str());
  ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Status error = ErrorOf(result, sql);
    if (result) PQclear(result);
    return std::unexpected(std::move(error));
  }
  PQclear(result);
  return {};
}

PgParam P(const SqlValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* text = std::get_if<std::string>(&v)) return *text;
  return std::nullopt;
}

PgParams Params(const SqlValues& values) {
  PgParams params;
  params.reserve(values.size());
  for (const SqlValue& v : values) params.push_back(P(v));
  return params;
}

}  // namespace herald::storage::internal
