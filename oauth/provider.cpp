#include "oauth/provider.h"

#include "connectors/http_client.h"

namespace herald::oauth {
namespace {

struct Defaults {
  std::string_view platform;
  std::string_view authorize_url;
  std::string_view token_url;
  std::vector<std::string> scopes;
  ClientAuth client_auth = ClientAuth::kBasic;
  bool per_instance = false;
  bool pkce = true;
};

// X: posting needs tweet.write (with tweet.read and users.read, which
// /2/tweets requires alongside), media.write for POST /2/media/upload, and
// offline.access for a refresh token (without it the token dies after two hours).
const Defaults kDefaults[] = {
    {"x", "https://x.com/i/oauth2/authorize", "https://api.x.com/2/oauth2/token",
     {"tweet.read", "tweet.write", "users.read", "media.write", "offline.access"}},
    // Mastodon: paths on each instance; statuses and media written, statuses
    // and notifications read (engagement, the inbox). Its documentation lists
    // client_id and client_secret as form fields of /oauth/token.
    {"mastodon", "/oauth/authorize", "/oauth/token",
     {"write:statuses", "write:media", "read:statuses", "read:notifications"}, ClientAuth::kForm, true},
    // LinkedIn (3-legged OAuth): w_member_social posts as the member; a
    // company page needs w_organization_social (set `scopes:`). Its token
    // endpoint takes client_id and client_secret as form fields, and PKCE
    // only from native apps LinkedIn enabled it for.
    {"linkedin", "https://www.linkedin.com/oauth/v2/authorization", "https://www.linkedin.com/oauth/v2/accessToken",
     {"w_member_social"}, ClientAuth::kForm, false, false},
};

}  // namespace

Result<Provider> ProviderFor(const std::string& platform, const policies::OAuthApp& app) {
  for (const Defaults& d : kDefaults) {
    if (d.platform != platform) continue;
    Provider p;
    p.platform = platform;
    p.authorize_url = app.authorize_url.empty() ? std::string(d.authorize_url) : app.authorize_url;
    p.token_url = app.token_url.empty() ? std::string(d.token_url) : app.token_url;
    p.scopes = app.scopes.empty() ? d.scopes : app.scopes;
    p.client_id = app.client_id;
    p.redirect_uri = app.redirect_uri;
    p.client_auth = d.client_auth;
    p.per_instance = d.per_instance;
    p.client_name = app.client_name;
    p.website = app.website;
    p.pkce = d.pkce;
    return p;
  }
  return std::unexpected(Status(Code::kInvalidArgument, "herald cannot connect " + platform + " accounts by OAuth"));
}

Provider OnInstance(Provider provider, std::string_view origin, std::string client_id) {
  provider.authorize_url = std::string(origin) + provider.authorize_url;
  provider.token_url = std::string(origin) + provider.token_url;
  provider.client_id = std::move(client_id);
  return provider;
}

std::string AuthorizationUrl(const Provider& provider, const std::string& state, const std::string& challenge) {
  std::string scope;
  for (const auto& s : provider.scopes) scope += (scope.empty() ? "" : " ") + s;
  std::vector<std::pair<std::string, std::string>> fields{{"response_type", "code"},
                                                          {"client_id", provider.client_id},
                                                          {"redirect_uri", provider.redirect_uri},
                                                          {"scope", scope},
                                                          {"state", state}};
  if (provider.pkce) {
    fields.push_back({"code_challenge", challenge});
    fields.push_back({"code_challenge_method", "S256"});
  }
  std::string query = connectors::FormEncode(fields);
  return provider.authorize_url + (provider.authorize_url.find('?') == std::string::npos ? "?" : "&") + query;
}

}  // namespace herald::oauth
