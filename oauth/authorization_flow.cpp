#include "oauth/authorization_flow.h"

#include <nlohmann/json.hpp>

#include "oauth/pkce.h"

namespace herald::oauth {
namespace {

// The verifier is sealed for its own authorization only.
std::string VerifierContext(std::string_view state_hash) { return "oauth-verifier:" + std::string(state_hash); }

constexpr size_t kMaxState = 512;
constexpr size_t kMaxCode = 2048;

// What a user may be shown of a value a browser brought: printable ASCII, short.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace

Result<AuthorizationStart> AuthorizationFlow::Start(const std::string& organization, const std::string& account,
                                                    const std::string& platform, const std::string& caller,
                                                    Instant now) {
  // On Mastodon this registers herald's app on the instance first.
  auto app = endpoints_.For(organization, account, platform, now);
  if (!app) return std::unexpected(app.error());
  auto state = MakeState();
  if (!state) return std::unexpected(state.error());
  auto verifier = MakeCodeVerifier();
  if (!verifier) return std::unexpected(verifier.error());
  std::string hash = StateHash(*state);
  auto sealed = vault_.keys().Seal(*verifier, VerifierContext(hash));
  if (!sealed) return std::unexpected(sealed.error());
  Instant expires = now + std::chrono::duration_cast<std::chrono::seconds>(kStateLifetime);
  storage::PendingAuthorization pending{hash, organization, account, platform, caller, sealed->key_id,
                                        sealed->blob, now, expires};
  if (auto r = vault_.store().SaveAuthorization(pending); !r) return std::unexpected(r.error());
  return AuthorizationStart{AuthorizationUrl(app->provider(), *state, S256Challenge(*verifier)), expires};
}

Result<Connected> AuthorizationFlow::Complete(std::string_view code, std::string_view state, std::string_view error,
                                              Instant now) {
  if (state.empty() || state.size() > kMaxState) {
    return Error(Code::kInvalidArgument, "the callback has no valid state; start again with POST /v1/accounts/{id}/connect");
  }
  auto taken = vault_.store().TakeAuthorization(StateHash(state));
  if (!taken) return std::unexpected(taken.error());
  if (!*taken) {
    return Error(Code::kInvalidArgument,
                 "unknown state: it was never issued by this herald, or its callback was used already; start again "
                 "with POST /v1/accounts/{id}/connect");
  }
  const storage::PendingAuthorization& pending = **taken;
  const std::string names = "account " + pending.account;
  if (pending.expires_at <= now) {
    return Error(Code::kInvalidArgument, "the authorization of " + names + " expired at " +
                                             FormatRfc3339(pending.expires_at) + " (states last " +
                                             FormatDuration(kStateLifetime) + "); start again");
  }
  if (!error.empty()) {
    return Error(Code::kInvalidArgument, pending.platform + " answered " + Printable(error) + " for " + names +
                                             ": it was not authorized; start again to retry");
  }
  if (code.empty() || code.size() > kMaxCode) {
    return Error(Code::kInvalidArgument, "the callback for " + names + " has no valid code; start again");
  }
  auto app = endpoints_.For(pending.organization, pending.account, pending.platform, now);
  if (!app) return std::unexpected(app.error());
  auto verifier = vault_.keys().Open({pending.key_id, pending.sealed_verifier}, VerifierContext(pending.state_hash));
  if (!verifier) return std::unexpected(verifier.error());
  // Meta picks the account's Page (or user) by its settings.
  AccountSettings settings;
  if (app->provider().flow != Flow::kOAuth2) {
    auto read = endpoints_.SettingsOf(pending.organization, pending.account);
    if (!read) return std::unexpected(read.error());
    settings = std::move(*read);
  }
  auto grant = app->ExchangeCode(std::string(code), *verifier, settings, now);
  if (!grant) return std::unexpected(grant.error());
  grant->platform = pending.platform;
  // Replaces whatever grant the account had (a reconnect clears needs_reconnect).
  for (int attempt = 0;; ++attempt) {
    auto current = vault_.store().FindGrant(pending.organization, pending.account);
    if (!current) return std::unexpected(current.error());
    int64_t based_on = *current ? (*current)->version : 0;
    auto saved = vault_.Save(pending.organization, pending.account, *grant, now, based_on);
    if (saved) break;
    if (saved.error().code() != Code::kFailedPrecondition || attempt == 2) return std::unexpected(saved.error());
  }
  Connected connected{pending.organization, pending.account, pending.platform, pending.caller, grant->scope};
  nlohmann::json detail = {{"account", pending.account}, {"platform", pending.platform}, {"scope", grant->scope}};
  if (grant->expires_at) detail["expires_at"] = FormatRfc3339(*grant->expires_at);
  detail["refreshable"] = Refreshable(*grant);
  if (auto r = vault_.store().AppendAudit(
          {{0, pending.organization, now, pending.caller, "account_connected", std::nullopt, detail.dump()}});
      !r) {
    return std::unexpected(r.error());
  }
  return connected;
}

}  // namespace herald::oauth
