#include "storage/store.h"

#include <string>

#include "storage/postgres_store.h"
#include "storage/sqlite_store.h"

namespace herald::storage {

Result<std::unique_ptr<Store>> OpenStore(std::string_view url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.starts_with(kSqlite)) {
    auto store = SqliteStore::Open(std::string(url.substr(kSqlite.size())));
    if (!store) return std::unexpected(store.error());
    return std::unique_ptr<Store>(std::move(*store));
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    auto store = PostgresStore::Open(std::string(url));
    if (!store) return std::unexpected(store.error());
    return std::unique_ptr<Store>(std::move(*store));
  }
  return std::unexpected(Status(Code::kInvalidArgument,
                                "unknown storage URL \"" + std::string(url) + "\"; use sqlite:PATH or postgresql://user@host:port/db"));
}

}  // namespace herald::storage
