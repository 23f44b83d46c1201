// LinkedinOAuthFake: LinkedIn's OAuth 2.0 server for the 3-legged
// authorization-code flow of a web app, as its documentation describes it.
// GET /oauth/v2/authorization (response_type=code, client_id, redirect_uri,
// state, scope) approves at once as the signed-in member would and redirects
// (302) with code and state (or error=user_cancelled_authorize after
// DenyNext()). POST /oauth/v2/accessToken (application/x-www-form-urlencoded,
// client_id and client_secret as form fields; 401 invalid_client otherwise):
// grant_type=authorization_code (the code once only within 30 minutes, its
// redirect_uri) answers {"access_token","expires_in" (60 days unless set),
// "scope"} and, for an app approved for refresh tokens (SetRefreshTokens),
// "refresh_token","refresh_token_expires_in"; grant_type=refresh_token
// issues a new access token and keeps the refresh token (LinkedIn does not
// rotate it; its time to live keeps counting down). Refused grants answer
// 400 {"error":"invalid_grant" | "invalid_request","error_description"}.
//
// Thread-safe: handlers run on the server's threads.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/connectors/fakes/fake_grants.h"
#include "tests/support/fake_server.h"

namespace herald::testing {

class LinkedinOAuthFake {
 public:
  LinkedinOAuthFake(std::string client_id, std::string client_secret);  // serving once constructed

  std::string base_url() const { return server_.base_url(); }
  std::string authorize_url() const { return base_url() + "/oauth/v2/authorization"; }
  std::string token_url() const { return base_url() + "/oauth/v2/accessToken"; }

  void SetExpiresIn(int seconds);       // of access tokens issued from now on
  void SetRefreshTokens(bool issued);   // whether the app is approved for refresh tokens
  void DenyNext() { grants_.DenyNext(); }
  void RevokeAll();                     // the member revokes the app: every token stops working

  bool ValidAccess(const std::string& token) const { return grants_.ValidAccess(token); }
  std::vector<std::string> AllTokens() const { return grants_.AllTokens(); }  // every access and refresh token issued
  int Refreshes() const;
  int RefusedRefreshes() const;
  int CodeExchanges() const;
  std::string LastAccessToken() const { return grants_.LastAccessToken(); }
  std::multimap<std::string, std::string> LastAuthorize() const { return grants_.LastAuthorize(); }

 private:
  // The answer for new tokens. REQUIRES: mu_ held.
  std::string IssueLocked(const std::string& scope, const std::string& refresh_token);

  const std::string client_id_;
  const std::string client_secret_;
  FakeGrants grants_;
  FakeServer server_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> refresh_;        // live refresh token -> scope; guarded by mu_
  int expires_in_ = 5184000;                          // guarded by mu_
  bool refresh_tokens_ = false;                       // guarded by mu_
  int refreshes_ = 0, refused_refreshes_ = 0, exchanges_ = 0;  // guarded by mu_
  int64_t serial_ = 0;                                // guarded by mu_
};

}  // namespace herald::testing
