// GrantVault: the OAuth tokens of connected accounts, kept in the Store sealed
// with the KeyRing (AES-256-GCM, bound to the organisation and the account so
// a sealed grant copied onto another account's row does not open).
//
// A Grant is the only place tokens are in clear. Nothing here logs, and no
// Status it returns holds a token: messages name the account and the key id.
// Thread-safe as the Store is; the ring is immutable.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "secrets/key_ring.h"
#include "storage/store.h"

namespace herald::secrets {

// What an authorization server granted for one account. Never printed.
struct Grant {
  std::string access_token;
  std::string refresh_token;  // empty: the platform gave none
  std::string scope;          // as granted, space-separated
  std::optional<Instant> expires_at;  // of the access token; nullopt: does not expire
  std::string platform;       // whose authorization server issued it (refreshes go there)

  friend bool operator==(const Grant&, const Grant&) = default;
};

struct StoredGrant {
  Grant grant;
  int64_t version = 0;  // what Save must be given to replace it
  std::string key_id;
  Instant updated_at;
  std::string needs_reconnect;  // why the platform refused a refresh; empty while it works
};

// What a rotation did, counted over every stored grant.
struct Rotation {
  int resealed = 0;         // now under the current key
  int already_current = 0;  // were under it already
  int changed_meanwhile = 0;  // another writer replaced them first (they are sealed anew by it)
  std::vector<Status> failed;  // could not be opened: each names the account and the key
};

class GrantVault {
 public:
  // REQUIRES: `store` outlives the vault.
  GrantVault(storage::Store& store, KeyRing keys) : store_(store), keys_(std::move(keys)) {}

  // Seals `grant` under the current key and stores it for the account,
  // replacing the stored grant at `based_on` (0: the account has none yet).
  // Returns the new version. `needs_reconnect` (empty: none) marks a grant
  // the platform refused to refresh. FailedPrecondition when another writer
  // changed it first; the Store's codes otherwise.
  Result<int64_t> Save(std::string_view organization, std::string_view account, const Grant& grant, Instant now,
                       int64_t based_on, std::string_view needs_reconnect = {});

  // nullopt when the account has no grant. FailedPrecondition when it does
  // not open (KeyRing::Open), naming the account.
  Result<std::optional<StoredGrant>> Load(std::string_view organization, std::string_view account);

  // Re-seals under the current key every grant sealed under another one.
  // Grants that do not open are left as they are and listed in `failed`.
  // Unavailable (or the Store's code) when the store cannot be read.
  Result<Rotation> Rotate(Instant now);

  const KeyRing& keys() const { return keys_; }
  storage::Store& store() const { return store_; }

 private:
  Result<StoredGrant> Open(const storage::SealedGrant& sealed) const;

  storage::Store& store_;
  const KeyRing keys_;
};

}  // namespace herald::secrets
