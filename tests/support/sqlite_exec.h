// Runs SQL on a SQLite database file through a connection of its own, the way
// another process (an operator, a failing disk) would: tests use it to make the
// real store fail, e.g. with a trigger that aborts some writes.
#pragma once

#include <string>

namespace herald::testing {

// Throws std::runtime_error with SQLite's message when the SQL fails. Waits up
// to 5 s for a lock held by the store under test.
void ExecSqlite(const std::string& db_path, const std::string& sql);

// A trigger that makes every UPDATE of `posts` fail (or only those WHEN
// `condition` holds, e.g. "NEW.state = 'published'"); and its removal.
std::string FailPostUpdates(const std::string& condition = "");
inline const char* kStopFailingPostUpdates = "DROP TRIGGER IF EXISTS herald_test_fail_updates";

}  // namespace herald::testing
