// A fresh PostgreSQL database on the test server scripts/with-postgres starts
// (HERALD_TEST_POSTGRES), for end-to-end tests that run daemons on PostgreSQL.
#pragma once

#include <string>

namespace herald::testing {

// `url` with its database name replaced by `database`.
std::string WithDatabase(const std::string& url, const std::string& database);

// Creates a database named `prefix` plus this process's id and the time on
// the server of HERALD_TEST_POSTGRES and returns its URL. Throws
// std::runtime_error when the variable is unset or the server refuses.
std::string FreshPostgresDatabase(const std::string& prefix);

}  // namespace herald::testing
