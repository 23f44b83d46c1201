#include "tests/support/pg_database.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "storage/internal/pg.h"

namespace herald::testing {

std::string WithDatabase(const std::string& url, const std::string& database) {
  size_t query = url.find('?');
  std::string base = url.substr(0, query);
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  size_t authority = base.find("://");
  size_t slash = base.find('/', authority == std::string::npos ? 0 : authority + 3);
  if (slash != std::string::npos) base.resize(slash);
  return base + "/" + database + rest;
}

std::string FreshPostgresDatabase(const std::string& prefix) {
  const char* env_url = std::getenv("HERALD_TEST_POSTGRES");
  if (env_url == nullptr || *env_url == '\0') {
    throw std::runtime_error("HERALD_TEST_POSTGRES is not set: run the test through scripts/with-postgres "
                             "(scripts/test does), which starts a private PostgreSQL server");
  }
  using namespace std::chrono;
  const std::string name = prefix + "_" + std::to_string(::getpid()) + "_" +
                           std::to_string(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
  auto admin = storage::internal::PgConnection::Open(env_url);
  if (!admin) throw std::runtime_error("cannot reach the test server: " + admin.error().ToString());
  if (auto created = (*admin)->ExecScript("CREATE DATABASE " + name); !created) {
    throw std::runtime_error("CREATE DATABASE " + name + ": " + created.error().ToString());
  }
  return WithDatabase(env_url, name);
}

}  // namespace herald::testing
