// MastodonFake's OAuth side: app registration, authorization and the token
// endpoint, as docs.joinmastodon.org (methods/apps, methods/oauth) describes
// them and Doorkeeper answers them.
#include <nlohmann/json.hpp>

#include <chrono>
#include <set>
#include <sstream>

#include "oauth/pkce.h"
#include "tests/connectors/fakes/fake_grants.h"
#include "tests/connectors/fakes/mastodon_fake.h"

namespace herald::testing {
namespace {

using nlohmann::json;
using std::chrono::steady_clock;

std::set<std::string> Words(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

// Whether `wanted` is covered by `granted` ("write" covers "write:statuses").
bool Covered(const std::set<std::string>& wanted, const std::set<std::string>& granted) {
  for (const auto& w : wanted) {
    if (granted.contains(w)) continue;
    auto colon = w.find(':');
    if (colon == std::string::npos || !granted.contains(w.substr(0, colon))) return false;
  }
  return true;
}

void Answer(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json; charset=utf-8");
}

const json kInvalidClient = {{"error", "invalid_client"},
                             {"error_description",
                              "Client authentication failed due to unknown client, no client authentication included, "
                              "or unsupported authentication method."}};
const json kInvalidGrant = {{"error", "invalid_grant"},
                            {"error_description",
                             "The provided authorization grant is invalid, expired, revoked, does not match the "
                             "redirection URI used in the authorization request, or was issued to another client."}};

}  // namespace

struct MastodonFake::OAuth {
  struct App {
    std::string secret;
    std::string redirect_uri;
    std::set<std::string> scopes;
  };
  struct Code {
    std::string client_id;
    std::string redirect_uri;
    std::string challenge;
    std::string scope;
    steady_clock::time_point issued;
    bool used = false;
  };
  mutable std::mutex mu;
  std::map<std::string, App> apps;        // by client_id; guarded by mu
  std::map<std::string, Code> codes;      // guarded by mu
  std::map<std::string, bool> tokens;     // access token -> revoked; guarded by mu
  std::vector<std::string> secrets;       // guarded by mu
  std::multimap<std::string, std::string> last_authorize;  // guarded by mu
  std::string last_token;                 // guarded by mu
  int registrations = 0, exchanges = 0;   // guarded by mu
};

MastodonFake::~MastodonFake() = default;

void MastodonFake::ServeOAuth(httplib::Server& s) {
  oauth_ = std::make_shared<OAuth>();
  OAuth& o = *oauth_;

  s.Post("/api/v1/apps", [&o](const httplib::Request& req, httplib::Response& res) {
    auto p = [&](const char* name) { return req.has_param(name) ? req.get_param_value(name) : std::string(); };
    if (p("client_name").empty()) return Answer(res, 422, {{"error", "Validation failed: Application name can't be blank"}});
    if (p("redirect_uris").empty()) {
      return Answer(res, 422, {{"error", "Validation failed: Redirect URI must be an absolute URI."}});
    }
    std::set<std::string> scopes = Words(p("scopes").empty() ? "read" : p("scopes"));
    std::lock_guard lock(o.mu);
    std::string id = RandomToken("cid-"), secret = RandomToken("csecret-");
    o.apps[id] = {secret, p("redirect_uris"), scopes};
    o.secrets.push_back(secret);
    ++o.registrations;
    json scope_list = json::array();
    for (const auto& sc : scopes) scope_list.push_back(sc);
    Answer(res, 200, {{"id", std::to_string(o.registrations)}, {"name", p("client_name")},
                      {"website", p("website").empty() ? json(nullptr) : json(p("website"))},
                      {"redirect_uri", p("redirect_uris")}, {"redirect_uris", json::array({p("redirect_uris")})},
                      {"client_id", id}, {"client_secret", secret}, {"client_secret_expires_at", 0},
                      {"scopes", scope_list}, {"vapid_key", "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M="}});
  });

  s.Get("/oauth/authorize", [&o](const httplib::Request& req, httplib::Response& res) {
    auto p = [&](const char* name) { return req.has_param(name) ? req.get_param_value(name) : std::string(); };
    std::lock_guard lock(o.mu);
    o.last_authorize = {req.params.begin(), req.params.end()};
    auto app = o.apps.find(p("client_id"));
    bool pkce_ok = p("code_challenge").empty() ? p("code_challenge_method").empty()
                                                : p("code_challenge_method") == "S256";
    if (p("response_type") != "code" || app == o.apps.end() || p("redirect_uri") != app->second.redirect_uri ||
        !Covered(Words(p("scope")), app->second.scopes) || !pkce_ok) {
      res.status = 400;
      return res.set_content("<h1>An error has occurred</h1><p>The requested scope is invalid, unknown, or malformed, "
                             "or the client is unknown.</p>", "text/html");
    }
    std::string code = RandomToken("mcode-");
    o.codes[code] = {p("client_id"), p("redirect_uri"), p("code_challenge"), p("scope"), steady_clock::now(), false};
    res.status = 302;
    res.set_header("Location", p("redirect_uri") + "?code=" + code + "&state=" +
                                   httplib::detail::encode_query_param(p("state")));
  });

  s.Post("/oauth/token", [&o](const httplib::Request& req, httplib::Response& res) {
    auto p = [&](const char* name) { return req.has_param(name) ? req.get_param_value(name) : std::string(); };
    std::lock_guard lock(o.mu);
    auto app = o.apps.find(p("client_id"));
    if (app == o.apps.end() || app->second.secret != p("client_secret")) return Answer(res, 401, kInvalidClient);
    if (p("grant_type") != "authorization_code") {
      return Answer(res, 400, {{"error", "unsupported_grant_type"},
                               {"error_description", "The authorization grant type is not supported by the authorization server."}});
    }
    auto code = o.codes.find(p("code"));
    if (code == o.codes.end() || code->second.used || code->second.client_id != p("client_id") ||
        steady_clock::now() - code->second.issued > std::chrono::minutes{10}) {
      return Answer(res, 400, kInvalidGrant);
    }
    code->second.used = true;
    if (code->second.redirect_uri != p("redirect_uri")) return Answer(res, 400, kInvalidGrant);
    if (!code->second.challenge.empty() && oauth::S256Challenge(p("code_verifier")) != code->second.challenge) {
      return Answer(res, 400, kInvalidGrant);
    }
    ++o.exchanges;
    std::string token = RandomToken("mtok-");
    o.tokens[token] = false;
    o.secrets.push_back(token);
    o.last_token = token;
    Answer(res, 200, {{"access_token", token}, {"token_type", "Bearer"}, {"scope", code->second.scope},
                      {"created_at", std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch()).count()}});
  });
}

bool MastodonFake::OAuthAccepts(const std::string& bearer, std::string& refusal) const {
  std::lock_guard lock(oauth_->mu);
  auto it = oauth_->tokens.find(bearer);
  if (it == oauth_->tokens.end()) return false;
  if (it->second) refusal = "The access token was revoked";
  return !it->second;
}

int MastodonFake::AppRegistrations() const {
  std::lock_guard lock(oauth_->mu);
  return oauth_->registrations;
}

int MastodonFake::CodeExchanges() const {
  std::lock_guard lock(oauth_->mu);
  return oauth_->exchanges;
}

void MastodonFake::RevokeOAuthTokens() {
  std::lock_guard lock(oauth_->mu);
  for (auto& [token, revoked] : oauth_->tokens) revoked = true;
}

std::string MastodonFake::LastOAuthToken() const {
  std::lock_guard lock(oauth_->mu);
  return oauth_->last_token;
}

std::vector<std::string> MastodonFake::OAuthSecrets() const {
  std::lock_guard lock(oauth_->mu);
  return oauth_->secrets;
}

std::multimap<std::string, std::string> MastodonFake::LastAuthorize() const {
  std::lock_guard lock(oauth_->mu);
  return oauth_->last_authorize;
}

}  // namespace herald::testing
