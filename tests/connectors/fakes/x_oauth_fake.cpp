#include "tests/connectors/fakes/x_oauth_fake.h"

#include <nlohmann/json.hpp>

#include "oauth/pkce.h"

namespace herald::testing {
namespace {

using json = nlohmann::json;

void OAuthError(httplib::Response& res, int status, const std::string& error, const std::string& description) {
  res.status = status;
  res.set_content(json{{"error", error}, {"error_description", description}}.dump(), "application/json");
}

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kAlphabet[(n >> s) & 63];
  }
  if (size_t rest = in.size() - i; rest > 0) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (rest == 2) n |= uint8_t(in[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

XOAuthFake::XOAuthFake(std::string client_id, std::string client_secret)
    : client_id_(std::move(client_id)), client_secret_(std::move(client_secret)) {
  FakeGrants::AuthorizeRules rules{client_id_, true, "error=access_denied", "code-",
                                   "Something went wrong: invalid authorization request"};
  server_.server().Get("/i/oauth2/authorize", [this, rules](const httplib::Request& req, httplib::Response& res) {
    grants_.Authorize(req, res, rules);
  });

  server_.server().Post("/2/oauth2/token", [this](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") != "Basic " + Base64(client_id_ + ":" + client_secret_)) {
      return OAuthError(res, 401, "unauthorized_client", "Missing valid authorization header");
    }
    auto p = [&](const char* name) { return req.has_param(name) ? req.get_param_value(name) : std::string(); };
    std::string body;
    if (p("grant_type") == "authorization_code") {
      // A code is spent by its first exchange, right or wrong.
      auto code = grants_.Spend(p("code"), std::chrono::seconds{30});
      if (!code) return OAuthError(res, 400, "invalid_request", "Value passed for the authorization code was invalid.");
      if (code->redirect_uri != p("redirect_uri")) {
        return OAuthError(res, 400, "invalid_request", "Value passed for the redirect uri did not match.");
      }
      if (oauth::S256Challenge(p("code_verifier")) != code->challenge) {
        return OAuthError(res, 400, "invalid_request", "Value passed for the code verifier did not match.");
      }
      std::lock_guard lock(mu_);
      ++exchanges_;
      IssueLocked(code->scope, body);
    } else if (p("grant_type") == "refresh_token") {
      std::lock_guard lock(mu_);
      auto it = refresh_.find(p("refresh_token"));
      if (it == refresh_.end()) {
        ++refused_refreshes_;
        return OAuthError(res, 400, "invalid_request", "Value passed for the token was invalid.");
      }
      std::string scope = it->second;
      refresh_.erase(it);  // rotation: the old refresh token stops working
      ++refreshes_;
      IssueLocked(scope, body);
    } else {
      return OAuthError(res, 400, "unsupported_grant_type", "grant_type is not supported");
    }
    res.status = 200;
    res.set_content(body, "application/json");
  });
  server_.Start();
}

void XOAuthFake::IssueLocked(const std::string& scope, std::string& body) {
  std::string access = grants_.IssueAccess("xacc-" + std::to_string(++serial_) + "-", expires_in_);
  json answer = {{"token_type", "bearer"}, {"expires_in", expires_in_}, {"access_token", access}, {"scope", scope}};
  if (scope.find("offline.access") != std::string::npos) {
    std::string refresh = RandomToken("xref-" + std::to_string(serial_) + "-");
    refresh_[refresh] = scope;
    grants_.Remember(refresh);
    answer["refresh_token"] = refresh;
  }
  body = answer.dump();
}

std::map<std::string, std::string> XOAuthFake::Authorize(const std::string& authorization_url) {
  // http://HOST:PORT/path?query
  auto slash = authorization_url.find('/', authorization_url.find("://") + 3);
  httplib::Client browser(authorization_url.substr(0, slash));
  auto answer = browser.Get(authorization_url.substr(slash).c_str());
  std::map<std::string, std::string> out;
  if (!answer || answer->status != 302) {
    out["http_status"] = answer ? std::to_string(answer->status) : "none";
    return out;
  }
  std::string location = answer->get_header_value("Location");
  auto q = location.find('?');
  httplib::Params params;
  if (q != std::string::npos) httplib::detail::parse_query_text(location.substr(q + 1), params);
  for (const auto& [k, v] : params) out[k] = v;
  out["redirect_to"] = location.substr(0, q);
  return out;
}

void XOAuthFake::SetExpiresIn(int seconds) {
  std::lock_guard lock(mu_);
  expires_in_ = seconds;
}

void XOAuthFake::RevokeAll() {
  std::lock_guard lock(mu_);
  refresh_.clear();
  grants_.RevokeAll();
}

int XOAuthFake::Refreshes() const {
  std::lock_guard lock(mu_);
  return refreshes_;
}

int XOAuthFake::RefusedRefreshes() const {
  std::lock_guard lock(mu_);
  return refused_refreshes_;
}

int XOAuthFake::CodeExchanges() const {
  std::lock_guard lock(mu_);
  return exchanges_;
}

}  // namespace herald::testing
