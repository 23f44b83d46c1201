#include "oauth/provider.h"

#include "connectors/http_client.h"

namespace herald::oauth {
namespace {

struct Defaults {
  std::string_view platform;
  std::string_view authorize_url;
  std::string_view token_url;
  std::vector<std::string> scopes;
};

// X: posting needs tweet.write (with tweet.read and users.read, which
// /2/tweets requires alongside), media.write for POST /2/media/upload, and
// offline.access for a refresh token (without it the token dies after two hours).
const Defaults kDefaults[] = {
    {"x", "https://x.com/i/oauth2/authorize", "https://api.x.com/2/oauth2/token",
     {"tweet.read", "tweet.write", "users.read", "media.write", "offline.access"}},
};

}  // namespace

Result<Provider> ProviderFor(const std::string& platform, const policies::OAuthApp& app) {
  for (const Defaults& d : kDefaults) {
    if (d.platform != platform) continue;
    Provider p{platform,
               app.authorize_url.empty() ? std::string(d.authorize_url) : app.authorize_url,
               app.token_url.empty() ? std::string(d.token_url) : app.token_url,
               app.scopes.empty() ? d.scopes : app.scopes,
               app.client_id,
               app.redirect_uri};
    return p;
  }
  return std::unexpected(Status(Code::kInvalidArgument, "herald cannot connect " + platform + " accounts by OAuth"));
}

std::string AuthorizationUrl(const Provider& provider, const std::string& state, const std::string& challenge) {
  std::string scope;
  for (const auto& s : provider.scopes) scope += (scope.empty() ? "" : " ") + s;
  std::string query = connectors::FormEncode({{"response_type", "code"},
                                              {"client_id", provider.client_id},
                                              {"redirect_uri", provider.redirect_uri},
                                              {"scope", scope},
                                              {"state", state},
                                              {"code_challenge", challenge},
                                              {"code_challenge_method", "S256"}});
  return provider.authorize_url + (provider.authorize_url.find('?') == std::string::npos ? "?" : "&") + query;
}

}  // namespace herald::oauth
