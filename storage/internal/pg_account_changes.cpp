#include "storage/internal/pg_account_changes.h"

#include <string>

#include "storage/internal/pg_account_lock.h"
#include "storage/internal/rows.h"
#include "storage/internal/statements.h"

namespace herald::storage::internal {

Result<std::vector<Post>> PgChangesSince(PgConnection& db, const std::vector<Store::AccountCursor>& cursors) {
  if (cursors.empty()) return std::vector<Post>();
  std::vector<std::string> organizations, accounts, after;
  for (const Store::AccountCursor& c : cursors) {
    organizations.push_back(c.organization);
    accounts.push_back(c.account);
    after.push_back(std::to_string(c.after_seq));
  }
  static const std::string sql =
      "SELECT " + PostColumns("p.") +
      " FROM unnest($1::text[], $2::text[], $3::bigint[]) AS c(organization, account, after_seq)"
      " JOIN posts p ON p.organization = c.organization AND p.account = c.account AND p.change_seq > c.after_seq"
      " ORDER BY p.change_seq";
  auto r = db.Exec(sql, {P(PgTextArray(organizations)), P(PgTextArray(accounts)), P(PgTextArray(after))});
  if (!r) return std::unexpected(r.error());
  std::vector<Post> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    auto post = ReadPost(PgRow{*r, i});
    if (!post) return std::unexpected(post.error());
    out.push_back(std::move(*post));
  }
  return out;
}

}  // namespace herald::storage::internal
