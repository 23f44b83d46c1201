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
  Flow flow = Flow::kOAuth2;
  std::string_view scope_separator = " ";
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
    // Facebook Login for a Page: the Page list needs pages_show_list; posting
    // pages_manage_posts; reading the Page's posts and comments (Lookup, the
    // inbox) pages_read_engagement and pages_read_user_content; answering
    // comments pages_manage_engagement. A confidential web client: no PKCE.
    {"facebook_page", "https://www.facebook.com/v21.0/dialog/oauth", "https://graph.facebook.com/v21.0/oauth/access_token",
     {"pages_show_list", "pages_manage_posts", "pages_read_engagement", "pages_read_user_content",
      "pages_manage_engagement"},
     ClientAuth::kForm, false, false, Flow::kFacebookLogin, ","},
    // Instagram API with Facebook Login (graph.facebook.com, the account
    // linked to a Page): publishing needs instagram_basic and
    // instagram_content_publish, finding the account through its Page
    // pages_show_list and pages_read_engagement, the inbox
    // instagram_manage_comments.
    {"instagram", "https://www.facebook.com/v21.0/dialog/oauth", "https://graph.facebook.com/v21.0/oauth/access_token",
     {"instagram_basic", "instagram_content_publish", "instagram_manage_comments", "pages_show_list",
      "pages_read_engagement"},
     ClientAuth::kForm, false, false, Flow::kFacebookLogin, ","},
    // Threads: threads_basic for every call, threads_content_publish to post,
    // threads_read_replies and threads_manage_replies for the inbox and answers.
    {"threads", "https://threads.net/oauth/authorize", "https://graph.threads.net/oauth/access_token",
     {"threads_basic", "threads_content_publish", "threads_read_replies", "threads_manage_replies"}, ClientAuth::kForm,
     false, false, Flow::kThreads, ","},
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
    p.flow = d.flow;
    p.scope_separator = std::string(d.scope_separator);
    if (p.flow != Flow::kOAuth2 && !p.token_url.ends_with(policies::kGraphTokenPath)) {
      return Error(Code::kInvalidArgument, "oauth." + platform + ".token_url must end with " +
                                               std::string(policies::kGraphTokenPath));
    }
    return p;
  }
  return std::unexpected(Status(Code::kInvalidArgument, "herald cannot connect " + platform + " accounts by OAuth"));
}

bool RefreshesWithAccessToken(std::string_view platform) { return platform == "threads"; }

Provider OnInstance(Provider provider, std::string_view origin, std::string client_id) {
  provider.authorize_url = std::string(origin) + provider.authorize_url;
  provider.token_url = std::string(origin) + provider.token_url;
  provider.client_id = std::move(client_id);
  return provider;
}

std::string AuthorizationUrl(const Provider& provider, const std::string& state, const std::string& challenge) {
  std::string scope;
  for (const auto& s : provider.scopes) scope += (scope.empty() ? "" : provider.scope_separator) + s;
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
