// Meta's token endpoints, which go past RFC 6749's single exchange:
//
// Facebook Login (facebook_page, instagram): the code is exchanged for a
// short-lived user token (GET <graph>/oauth/access_token with client_id,
// client_secret, redirect_uri, code), that for a long-lived one
// (grant_type=fb_exchange_token), and that lists the Pages the person manages
// (GET <graph>/me/accounts) with each Page's own token, which does not expire
// when it comes from a long-lived user token. herald keeps only the Page token
// of the account's Page: the one `page_id` names (facebook_page), the one whose
// instagram_business_account is `user_id` (instagram), or with neither named
// the only Page there is.
//
// Threads: the code is exchanged for a short-lived token (POST
// graph.threads.net/oauth/access_token), that for a 60-day token (GET
// /access_token, grant_type=th_exchange_token), and that token refreshes
// itself (GET /refresh_access_token, grant_type=th_refresh_token).
//
// <graph> is the provider's token_url without /oauth/access_token. Errors come
// in Graph's {"error":{"message","type","code"}} shape and are quoted with
// every value sent blanked out; no Status here holds a token or the secret.
// Pure functions over the given client; thread-safe.
#pragma once

#include <string>

#include "connectors/http_client.h"
#include "core/status.h"
#include "core/time.h"
#include "oauth/provider.h"
#include "oauth/token_endpoint.h"
#include "secrets/grant_vault.h"

namespace herald::oauth::internal {

struct GraphApp {
  const Provider& provider;
  const std::string& client_secret;
  const connectors::HttpClient& http;
};

// The Page token for the account (see above). PermissionDenied when Meta
// refuses the code (used, expired, revoked); FailedPrecondition when it
// refuses the app; InvalidArgument when the login does not give the
// account's Page, or gives several and the settings name none (the message
// lists their names and ids, to put into the settings); Unavailable when Meta
// cannot be reached or fails.
Result<secrets::Grant> FacebookLoginGrant(const GraphApp& app, const std::string& code, const AccountSettings& account,
                                          Instant now);

// The 60-day Threads token. Codes as FacebookLoginGrant; InvalidArgument
// when the person signed in as another Threads user than `user_id`.
Result<secrets::Grant> ThreadsGrant(const GraphApp& app, const std::string& code, const AccountSettings& account,
                                    Instant now);

// A new 60-day token for `access_token`. PermissionDenied when Threads
// refuses it (revoked, expired): the account needs reconnecting.
Result<secrets::Grant> RefreshThreads(const GraphApp& app, const std::string& access_token, Instant now);

}  // namespace herald::oauth::internal
