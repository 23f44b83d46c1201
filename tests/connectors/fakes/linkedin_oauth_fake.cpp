#include "tests/connectors/fakes/linkedin_oauth_fake.h"

#include <nlohmann/json.hpp>

namespace herald::testing {
namespace {

using json = nlohmann::json;

void OAuthError(httplib::Response& res, int status, const std::string& error, const std::string& description) {
  res.status = status;
  res.set_content(json{{"error", error}, {"error_description", description}}.dump(), "application/json");
}

}  // namespace

LinkedinOAuthFake::LinkedinOAuthFake(std::string client_id, std::string client_secret)
    : client_id_(std::move(client_id)), client_secret_(std::move(client_secret)) {
  FakeGrants::AuthorizeRules rules{client_id_, false,
                                   "error=user_cancelled_authorize&error_description=The+user+cancelled+the+authorization",
                                   "licode-", "<h1>Bummer, something went wrong.</h1><p>invalid_request</p>"};
  server_.server().Get("/oauth/v2/authorization", [this, rules](const httplib::Request& req, httplib::Response& res) {
    grants_.Authorize(req, res, rules);
  });

  server_.server().Post("/oauth/v2/accessToken", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = [&](const char* name) { return req.has_param(name) ? req.get_param_value(name) : std::string(); };
    if (p("client_id") != client_id_ || p("client_secret") != client_secret_) {
      return OAuthError(res, 401, "invalid_client", "Client authentication failed");
    }
    std::string body;
    if (p("grant_type") == "authorization_code") {
      auto code = grants_.Spend(p("code"), std::chrono::minutes{30});
      if (!code) {
        return OAuthError(res, 400, "invalid_request",
                          "Unable to retrieve access token: appid/redirect uri/code verifier does not match "
                          "authorization code. Or authorization code expired. Or external member binding exists");
      }
      if (code->redirect_uri != p("redirect_uri")) {
        return OAuthError(res, 400, "invalid_redirect_uri", "Unable to retrieve access token: redirect_uri does not match");
      }
      std::lock_guard lock(mu_);
      ++exchanges_;
      std::string refresh;
      if (refresh_tokens_) {
        refresh = RandomToken("liref-");
        refresh_[refresh] = code->scope;
        grants_.Remember(refresh);
      }
      body = IssueLocked(code->scope, refresh);
    } else if (p("grant_type") == "refresh_token") {
      std::lock_guard lock(mu_);
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
  std::string access = grants_.IssueAccess("liacc-" + std::to_string(++serial_) + "-", expires_in_);
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

void LinkedinOAuthFake::RevokeAll() {
  std::lock_guard lock(mu_);
  refresh_.clear();
  grants_.RevokeAll();
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

}  // namespace herald::testing
