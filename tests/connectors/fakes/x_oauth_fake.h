// XOAuthFake: X's OAuth 2.0 authorization server as its documentation
// describes it. GET /i/oauth2/authorize (response_type=code, client_id,
// redirect_uri, scope, state, code_challenge, code_challenge_method=S256)
// approves at once as the signed-in user would and redirects (302) to the
// redirect_uri with `code` and `state` (or error=access_denied after
// DenyNext()). POST /2/oauth2/token (application/x-www-form-urlencoded) for a
// confidential client (HTTP Basic with the client id and secret; 401
// unauthorized_client otherwise): grant_type=authorization_code (code valid
// 30 seconds and once only, redirect_uri as authorized, code_verifier whose
// S256 is the challenge) and grant_type=refresh_token. Refresh tokens rotate:
// each refresh issues a new one and the old one stops working. Refused grants
// (replayed or expired code, wrong verifier, old or revoked refresh token)
// answer 400 {"error":"invalid_request","error_description":...} as X does.
// Answers {"token_type":"bearer","expires_in","access_token","scope",
// "refresh_token" (with offline.access)}.
//
// Thread-safe: handlers run on the server's threads; accessors may be called
// from the test thread at any time.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/connectors/fakes/fake_grants.h"
#include "tests/support/fake_server.h"

namespace herald::testing {

class XOAuthFake {
 public:
  XOAuthFake(std::string client_id, std::string client_secret);  // serving once constructed

  std::string base_url() const { return server_.base_url(); }
  std::string authorize_url() const { return base_url() + "/i/oauth2/authorize"; }
  std::string token_url() const { return base_url() + "/2/oauth2/token"; }
  FakeServer& server() { return server_; }

  // What the user's browser does with an authorization URL: asks it, and
  // returns the query of the redirect it is sent to (code and state, or
  // error), or an "http_status" entry when there is no redirect.
  static std::map<std::string, std::string> Authorize(const std::string& authorization_url);

  // Lifetime of the access tokens issued from now on (X: 7200 s).
  void SetExpiresIn(int seconds);
  // The next authorization is refused by the user (error=access_denied).
  void DenyNext() { grants_.DenyNext(); }
  // The user revokes the app: every token issued so far stops working.
  void RevokeAll();

  // Whether `token` is a live access token (issued, not expired, not revoked).
  bool ValidAccess(const std::string& token) const { return grants_.ValidAccess(token); }
  // Every access and refresh token ever issued, for "never in a log" checks.
  std::vector<std::string> AllTokens() const { return grants_.AllTokens(); }
  int Refreshes() const;             // refresh_token grants answered with tokens
  int RefusedRefreshes() const;      // refresh_token grants refused
  int CodeExchanges() const;         // authorization_code grants answered with tokens
  std::string LastAccessToken() const { return grants_.LastAccessToken(); }
  // The query of the last authorize request (to check scope, challenge, ...).
  std::multimap<std::string, std::string> LastAuthorize() const { return grants_.LastAuthorize(); }

 private:
  // Issues tokens into `body`. REQUIRES: mu_ held.
  void IssueLocked(const std::string& scope, std::string& body);

  const std::string client_id_;
  const std::string client_secret_;
  FakeGrants grants_;
  FakeServer server_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> refresh_;   // live refresh token -> scope; guarded by mu_
  int expires_in_ = 7200;                        // guarded by mu_
  int refreshes_ = 0, refused_refreshes_ = 0, exchanges_ = 0;  // guarded by mu_
  int64_t serial_ = 0;                           // guarded by mu_
};

}  // namespace herald::testing
