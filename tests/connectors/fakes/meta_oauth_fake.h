// MetaOAuthFake: Meta's authorization servers as their documentation
// describes them, one per fake: Facebook Login (Facebook Pages, and Instagram
// accounts linked to a Page) or Threads. Authorization pages approve at once
// as the signed-in person would (FakeGrants), or refuse after DenyNext();
// codes are taken once, within ten minutes, with the redirect_uri they were
// issued for; errors are Graph's {"error":{"message","type","code"}} with
// HTTP 400 (code 100 for a used or wrong code, 101 for a wrong app id or
// secret, 190 for a token that is not valid).
//
// Facebook (paths under /v21.0): GET /dialog/oauth; GET /oauth/access_token
// with client_id, client_secret, redirect_uri and code -> a short-lived user
// token (an hour), or with grant_type=fb_exchange_token and a user token ->
// a long-lived user token (60 days); GET /me/accounts with a user token ->
// the Pages set by SetPages, each with a Page token that does not expire and
// its instagram_business_account when it has one.
//
// Threads: GET /oauth/authorize; POST /oauth/access_token (form: client_id,
// client_secret, grant_type=authorization_code, redirect_uri, code) ->
// {access_token (an hour), user_id}; GET /access_token with
// grant_type=th_exchange_token, client_secret and a short-lived token -> a
// long-lived token (60 days unless SetExpiresIn); GET /refresh_access_token
// with grant_type=th_refresh_token and a long-lived token -> a new one. The
// fake is stricter than the documentation says: the refreshed token stops
// working at once, so a test sees herald use the new one.
//
// Thread-safe: handlers run on the server's threads.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/connectors/fakes/fake_grants.h"
#include "tests/support/fake_server.h"

namespace herald::testing {

class MetaOAuthFake {
 public:
  enum class Server { kFacebook, kThreads };
  struct Page {
    std::string id;
    std::string name;
    std::string instagram_id;  // empty: no Instagram account linked
  };

  MetaOAuthFake(Server server, std::string client_id, std::string client_secret);  // serving once constructed

  std::string base_url() const { return server_.base_url(); }
  std::string authorize_url() const;
  std::string token_url() const;

  void SetPages(std::vector<Page> pages);  // Facebook: the Pages the signed-in person manages
  void SetUserId(std::string user_id);     // Threads: the signed-in user
  void SetExpiresIn(int seconds);          // Threads: of long-lived tokens issued from now on
  void DenyNext() { grants_.DenyNext(); }
  void RevokeAll() { grants_.RevokeAll(); }  // the person removes the app

  // Facebook: a valid Page token of `page_id`; Threads: a valid long-lived token.
  bool ValidFor(const std::string& token, const std::string& page_id = "") const;
  std::vector<std::string> AllTokens() const { return grants_.AllTokens(); }
  std::multimap<std::string, std::string> LastAuthorize() const { return grants_.LastAuthorize(); }
  int CodeExchanges() const;
  int Refreshes() const;
  int RefusedRefreshes() const;
  // Whether a request carried a token or the secret in its URL's query (the
  // exchanges document it; the Page list does not need it).
  int PageListsWithTokenInUrl() const;
  int PageLists() const;  // GET /me/accounts answered (each page counts)

 private:
  enum class Kind { kShortUser, kLongUser, kPage };
  void Facebook();
  void Threads();
  bool AppOk(const httplib::Request& req, httplib::Response& res, bool with_id) const;
  Kind KindOf(const std::string& token) const;

  const Server which_;
  const std::string client_id_;
  const std::string client_secret_;
  FakeGrants grants_;
  FakeServer server_;
  mutable std::mutex mu_;
  std::map<std::string, Kind> kinds_;             // guarded by mu_
  std::map<std::string, std::string> page_of_;    // Page token -> Page id; guarded by mu_
  std::vector<Page> pages_;                       // guarded by mu_
  std::string user_id_ = "7001";                  // guarded by mu_
  int expires_in_ = 5184000;                      // guarded by mu_
  int exchanges_ = 0, refreshes_ = 0, refused_refreshes_ = 0, token_in_url_ = 0, page_lists_ = 0;  // guarded by mu_
};

}  // namespace herald::testing
