#include "tests/connectors/fakes/linkedin_oauth_fake.h"

#include <nlohmann/json.hpp>
#include <openssl/rand.h>

namespace herald::testing {
namespace {

using json = nlohmann::json;
using std::chrono::steady_clock;

std::string Random(const std::string& prefix) {
  unsigned char bytes[18];
  RAND_bytes(bytes, sizeof bytes);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = prefix;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

void OAuthError(httplib::Response& res, int status, const std::string& error, const std::string& description) {
  res.status = status;
  res.set_content(json{{"error", error}, {"error_description", description}}.dump(), "application/json");
}

}  // namespace

LinkedinOAuthFake::LinkedinOAuthFake(std::string client_id, std::string client_secret)
    : client_id_(std::move(client_id)), client_secret_(std::move(client_secret)) {
  server_.server().Get("/oauth/v2/authorization", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = [&](const char* name) { return req.has_param(name) ? req.get_param_value(name) : std::string(); };
    std::lock_guard lock(mu_);
    last_authorize_ = {req.params.begin(), req.params.end()};
    if (p("response_type") != "code" || p("client_id") != client_id_ || p("redirect_uri").empty()) {
      res.status = 400;
      return res.set_content("<h1>Bummer, something went wrong.</h1><p>invalid_request</p>", "text/html");
    }
    std::string target = p("redirect_uri") + "?";
    if (deny_next_) {
      deny_next_ = false;
      target += "error=user_cancelled_authorize&error_description=The+user+cancelled+the+authorization&state=" +
                httplib::detail::encode_query_param(p("state"));
    } else {
      std::string code = Random("licode-");
      codes_[code] = {p("redirect_uri"), p("scope"), steady_clock::now(), false};
      target += "code=" + code + "&state=" + httplib::detail::encode_query_param(p("state"));
    }
    res.status = 302;
    res.set_header("Location", target);
  });

  server_.server().Post("/oauth/v2/accessToken", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = [&](const char* name) { return req.has_param(name) ? req.get_param_value(name) : std::string(); };
    if (p("client_id") != client_id_ || p("client_secret") != client_secret_) {
      return OAuthError(res, 401, "invalid_client", "Client authentication failed");
    }
    std::lock_guard lock(mu_);
    std::string body;
    if (p("grant_type") == "authorization_code") {
      auto it = codes_.find(p("code"));
      if (it == codes_.end() || it->second.used || steady_clock::now() - it->second.issued > std::chrono::minutes{30}) {
        return OAuthError(res, 400, "invalid_request",
                          "Unable to retrieve access token: appid/redirect uri/code verifier does not match "
                          "authorization code. Or authorization code expired. Or external member binding exists");
      }
      it->second.used = true;
      if (it->second.redirect_uri != p("redirect_uri")) {
        return OAuthError(res, 400, "invalid_redirect_uri", "Unable to retrieve access token: redirect_uri does not match");
      }
      ++exchanges_;
      std::string refresh;
      if (refresh_tokens_) {
        refresh = Random("liref-");
        refresh_[refresh] = it->second.scope;
        all_tokens_.push_back(refresh);
      }
      body = IssueLocked(it->second.scope, refresh);
    } else if (p("grant_type") == "refresh_token") {
      auto it = refresh_.find(p("refresh_token"));
      if (it == refresh_.end()) {
        ++refused_refreshes_;
        return OAuthError(res, 400, "invalid_grant",
                          "The provided authorization grant or refresh token is invalid, expired or revoked.");
      }
      ++refreshes_;
      body = IssueLocked(it->second, it->first);
    } else {
      return OAuthError(res, 400, "unsupported_grant_type", "grant_type is not supported");
    }
    res.status = 200;
    res.set_content(body, "application/json");
  });
  server_.Start();
}

std::string LinkedinOAuthFake::IssueLocked(const std::string& scope, const std::string& refresh_token) {
  std::string access = Random("liacc-" + std::to_string(++serial_) + "-");
  access_[access] = {steady_clock::now() + std::chrono::seconds{expires_in_}, false};
  all_tokens_.push_back(access);
  last_access_ = access;
  json answer = {{"access_token", access}, {"expires_in", expires_in_}, {"scope", scope}};
  if (!refresh_token.empty()) {
    answer["refresh_token"] = refresh_token;
    answer["refresh_token_expires_in"] = 31536000;
  }
  return answer.dump();
}

void LinkedinOAuthFake::SetExpiresIn(int seconds) {
  std::lock_guard lock(mu_);
  expires_in_ = seconds;
}

void LinkedinOAuthFake::SetRefreshTokens(bool issued) {
  std::lock_guard lock(mu_);
  refresh_tokens_ = issued;
}

void LinkedinOAuthFake::DenyNext() {
  std::lock_guard lock(mu_);
  deny_next_ = true;
}

void LinkedinOAuthFake::RevokeAll() {
  std::lock_guard lock(mu_);
  refresh_.clear();
  for (auto& [token, a] : access_) a.revoked = true;
}

bool LinkedinOAuthFake::ValidAccess(const std::string& token) const {
  std::lock_guard lock(mu_);
  auto it = access_.find(token);
  return it != access_.end() && !it->second.revoked && steady_clock::now() < it->second.expires;
}

std::vector<std::string> LinkedinOAuthFake::AllTokens() const {
  std::lock_guard lock(mu_);
  return all_tokens_;
}

int LinkedinOAuthFake::Refreshes() const {
  std::lock_guard lock(mu_);
  return refreshes_;
}

int LinkedinOAuthFake::RefusedRefreshes() const {
  std::lock_guard lock(mu_);
  return refused_refreshes_;
}

int LinkedinOAuthFake::CodeExchanges() const {
  std::lock_guard lock(mu_);
  return exchanges_;
}

std::string LinkedinOAuthFake::LastAccessToken() const {
  std::lock_guard lock(mu_);
  return last_access_;
}

std::multimap<std::string, std::string> LinkedinOAuthFake::LastAuthorize() const {
  std::lock_guard lock(mu_);
  return last_authorize_;
}

}  // namespace herald::testing
