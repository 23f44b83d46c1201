// AccountConnect: how the API connects an account by OAuth. The composition
// root implements it over the Service (who may connect which account) and
// oauth::AuthorizationFlow; the API only maps it to HTTP. Without one, the
// connect endpoints answer that OAuth is not configured.
//
// Thread-safe: called from the server's handler threads.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "scheduler/runtime/service.h"

namespace herald::api {

struct ConnectStarted {
  std::string authorization_url;
  Instant state_expires_at;
};

struct ConnectFinished {
  std::string account;
  std::string platform;
  std::string scope;
};

class AccountConnect {
 public:
  virtual ~AccountConnect() = default;
  // NotFound for another organisation's account; PermissionDenied below
  // manager; FailedPrecondition when its platform has no OAuth app.
  virtual Result<ConnectStarted> Start(const runtime::Caller& caller, const std::string& account) = 0;
  // The callback (no caller: the state is the credential). InvalidArgument
  // or PermissionDenied (400: wrong, used or expired state, a refused code);
  // FailedPrecondition or Unavailable (502: the platform's token endpoint).
  virtual Result<ConnectFinished> Finish(std::string_view code, std::string_view state, std::string_view error) = 0;
};

}  // namespace herald::api
