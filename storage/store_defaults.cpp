// The Store's default batch coordination: one account at a time, through the
// single-account methods. Right for SQLite, where locks are no-ops.
#include <memory>
#include <utility>

#include "storage/store.h"

namespace herald::storage {
namespace {

class HeldOneByOne final : public Store::AccountLocks {
 public:
  const std::vector<size_t>& held() const override { return held_; }

  std::vector<size_t> held_;
  std::vector<std::unique_ptr<Store::AccountLock>> locks_;  // destroyed with this
};

}  // namespace

Result<std::unique_ptr<Store::AccountLocks>> Store::TryLockAccounts(
    const std::vector<std::pair<std::string, std::string>>& accounts) {
  auto out = std::make_unique<HeldOneByOne>();
  for (size_t i = 0; i < accounts.size(); ++i) {
    auto lock = LockAccount(accounts[i].first, accounts[i].second);
    if (!lock) return std::unexpected(lock.error());
    out->locks_.push_back(std::move(*lock));
    out->held_.push_back(i);
  }
  return std::unique_ptr<AccountLocks>(std::move(out));
}

Result<Store::LockedAccount> Store::LockAccountAndRead(std::string_view organization, std::string_view account,
                                                      int64_t after_seq) {
  auto lock = LockAccount(organization, account);
  if (!lock) return std::unexpected(lock.error());
  auto changes = AccountChangesSince(organization, account, after_seq);
  if (!changes) return std::unexpected(changes.error());
  return LockedAccount{std::move(*lock), std::move(*changes)};
}

Result<std::vector<Post>> Store::ChangesSince(const std::vector<AccountCursor>& cursors) {
  std::vector<Post> out;
  for (const AccountCursor& c : cursors) {
    auto changed = AccountChangesSince(c.organization, c.account, c.after_seq);
    if (!changed) return std::unexpected(changed.error());
    for (Post& p : *changed) out.push_back(std::move(p));
  }
  return out;
}

}  // namespace herald::storage
