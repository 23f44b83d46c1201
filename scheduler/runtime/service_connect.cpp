// The Service told that an account was connected by OAuth: what waited for
// the connection goes now (Service::AccountConnected).
#include "scheduler/runtime/internal/service_impl.h"
#include "scheduler/runtime/service.h"

namespace herald::runtime {

Result<void> Service::AccountConnected(const std::string& organization, const std::string& account) {
  auto& s = *impl_;
  {
    std::lock_guard lock(s.mu_);
    auto org = s.policies_.OrganizationOf(account);
    if (!org || *org != organization) {
      return std::unexpected(Status(Code::kNotFound, "no account " + account + " in " + organization));
    }
  }
  auto account_lock = s.LockAccount(organization, account);
  if (!account_lock) return std::unexpected(account_lock.error());
  {
    std::lock_guard lock(s.mu_);
    static const std::vector<std::string> kConnectionRules{"needs_reconnect", "not_connected", "token_unavailable"};
    if (!s.pauses_.End(internal::PauseKey::Account(account), kConnectionRules, s.clock_.Now())) return {};
    if (auto r = s.Persist(s.ReplanAccount(account, "herald", "account " + account + " was connected")); !r) return r;
  }
  if (s.on_changed_) s.on_changed_();
  return {};
}

}  // namespace herald::runtime
