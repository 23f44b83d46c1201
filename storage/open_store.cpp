#include "storage/store.h"

#include <string>

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
    return std::unexpected(Status(Code::kFailedPrecondition,
                                  "PostgreSQL storage is not built yet; use sqlite:PATH"));
  }
  return std::unexpected(Status(Code::kInvalidArgument,
                                "unknown storage URL \"" + std::string(url) + "\"; use sqlite:PATH"));
}

}  // namespace herald::storage
