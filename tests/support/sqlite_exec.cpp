#include "tests/support/sqlite_exec.h"

#include <sqlite3.h>

#include <stdexcept>

namespace herald::testing {

void ExecSqlite(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + db_path + ": " + why);
  }
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string why = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error(db_path + ": " + sql + ": " + why);
}

std::string FailPostUpdates(const std::string& condition) {
  return "CREATE TRIGGER herald_test_fail_updates BEFORE UPDATE ON posts" +
         (condition.empty() ? std::string() : " WHEN " + condition) +
         " BEGIN SELECT RAISE(ABORT, 'injected write failure'); END";
}

}  // namespace herald::testing
