#include "secrets/grant_vault.h"

#include <nlohmann/json.hpp>

#include "secrets/internal/aes_gcm.h"

namespace herald::secrets {
namespace {

std::string Context(std::string_view organization, std::string_view account) {
  return internal::JoinFields({"grant", organization, account});
}

std::string Names(std::string_view organization, std::string_view account) {
  return "account " + std::string(account) + " of organization " + std::string(organization);
}

std::string Plaintext(const Grant& grant) {
  return nlohmann::json{{"access_token", grant.access_token},
                        {"refresh_token", grant.refresh_token},
                        {"scope", grant.scope},
                        {"platform", grant.platform}}
      .dump();
}

// The message never quotes the text: it is a decrypted token.
std::optional<Grant> ParsePlaintext(const std::string& text) {
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  Grant grant;
  for (auto [key, field] : {std::pair{"access_token", &grant.access_token}, {"refresh_token", &grant.refresh_token},
                            {"scope", &grant.scope}}) {
    auto it = json.find(key);
    if (it == json.end() || !it->is_string()) return std::nullopt;
    *field = it->get<std::string>();
  }
  if (auto it = json.find("platform"); it != json.end() && it->is_string()) grant.platform = it->get<std::string>();
  return grant;
}

}  // namespace

Result<int64_t> GrantVault::Save(std::string_view organization, std::string_view account, const Grant& grant,
                                 Instant now, int64_t based_on, std::string_view needs_reconnect) {
  auto sealed = keys_.Seal(Plaintext(grant), Context(organization, account));
  if (!sealed) return std::unexpected(sealed.error());
  auto stored = store_.SaveGrant({std::string(organization), std::string(account), sealed->key_id,
                                  std::move(sealed->blob), grant.expires_at, now, based_on,
                                  std::string(needs_reconnect)});
  if (!stored) return std::unexpected(stored.error());
  return stored->version;
}

Result<StoredGrant> GrantVault::Open(const storage::SealedGrant& sealed) const {
  auto plain = keys_.Open({sealed.key_id, sealed.sealed}, Context(sealed.organization, sealed.account));
  if (!plain) {
    return Error(plain.error().code(), Names(sealed.organization, sealed.account) + ": " + plain.error().message());
  }
  auto grant = ParsePlaintext(*plain);
  if (!grant) {
    return Error(Code::kInternal, Names(sealed.organization, sealed.account) +
                                      ": the stored grant opened but is not one herald wrote");
  }
  grant->expires_at = sealed.expires_at;
  return StoredGrant{std::move(*grant), sealed.version, sealed.key_id, sealed.updated_at, sealed.needs_reconnect};
}

Result<std::optional<StoredGrant>> GrantVault::Load(std::string_view organization, std::string_view account) {
  auto sealed = store_.FindGrant(organization, account);
  if (!sealed) return std::unexpected(sealed.error());
  if (!*sealed) return std::optional<StoredGrant>();
  auto opened = Open(**sealed);
  if (!opened) return std::unexpected(opened.error());
  return std::optional<StoredGrant>(std::move(*opened));
}

Result<Rotation> GrantVault::Rotate(Instant now) {
  auto all = store_.ListGrants();
  if (!all) return std::unexpected(all.error());
  Rotation rotation;
  for (const storage::SealedGrant& sealed : *all) {
    if (sealed.key_id == keys_.current_id()) {
      ++rotation.already_current;
      continue;
    }
    auto opened = Open(sealed);
    if (!opened) {
      rotation.failed.push_back(opened.error());
      continue;
    }
    // Based on the version read: a refresh that lands meanwhile wins, and is
    // already sealed under the current key.
    auto saved = Save(sealed.organization, sealed.account, opened->grant, now, sealed.version, sealed.needs_reconnect);
    if (!saved && saved.error().code() == Code::kFailedPrecondition) {
      ++rotation.changed_meanwhile;
    } else if (!saved) {
      return std::unexpected(saved.error());
    } else {
      ++rotation.resealed;
    }
  }
  return rotation;
}

}  // namespace herald::secrets
