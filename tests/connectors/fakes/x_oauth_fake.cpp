#include "tests/connectors/fakes/x_oauth_fake.h"

#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include "oauth/pkce.h"

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
  server_.server().Get("/i/oauth2/authorize", [this](const httplib::Request& req, httplib::Response& res) {
    auto p = [&](const char* name) { return req.has_param(name) ? req.get_param_value(name) : std::string(); };
    std::lock_guard lock(mu_);
    last_authorize_ = {req.params.begin(), req.params.end()};
    if (p("response_type") != "code" || p("client_id") != client_id_ || p("redirect_uri").empty() ||
        p("state").empty() || p("code_challenge").empty() || p("code_challenge_method") != "S256") {
      res.status = 400;
      return res.set_content("Something went wrong: invalid authorization request", "text/plain");
    }
    std::string target = p("redirect_uri") + (p("redirect_uri").find('?') == std::string::npos ? "?" : "&");
    if (deny_next_) {
      deny_next_ = false;
      target += "error=access_denied&state=" + httplib::detail::encode_query_param(p("state"));
    } else {
      std::string code = Random("code-");
      codes_[code] = {p("code_challenge"), p("redirect_uri"), p("scope"), steady_clock::now(), false};
      target += "state=" + httplib::detail::encode_query_param(p("state")) + "&code=" + code;
    }
    res.status = 302;
    res.set_header("Location", target);
  });

  server_.server().Post("/2/oauth2/token", [this](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") != "Basic " + Base64(client_id_ + ":" + client_secret_)) {
      return OAuthError(res, 401, "unauthorized_client", "Missing valid authorization header");
    }
    auto p = [&](const char* name) { return req.has_param(name) ? req.get_param_value(name) : std::string(); };
    std::string body;
    std::lock_guard lock(mu_);
    if (p("grant_type") == "authorization_code") {
      auto it = codes_.find(p("code"));
      if (it == codes_.end() || it->second.used || steady_clock::now() - it->second.issued > std::chrono::seconds{30}) {
        return OAuthError(res, 400, "invalid_request", "Value passed for the authorization code was invalid.");
      }
      it->second.used = true;  // a code is spent by its first exchange, right or wrong
      if (it->second.redirect_uri != p("redirect_uri")) {
        return OAuthError(res, 400, "invalid_request", "Value passed for the redirect uri did not match.");
      }
      if (oauth::S256Challenge(p("code_verifier")) != it->second.challenge) {
        return OAuthError(res, 400, "invalid_request", "Value passed for the code verifier did not match.");
      }
      ++exchanges_;
      IssueLocked(it->second.scope, body);
    } else if (p("grant_type") == "refresh_token") {
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
  std::string access = Random("xacc-" + std::to_string(++serial_) + "-");
  access_[access] = {steady_clock::now() + std::chrono::seconds{expires_in_}, false};
  all_tokens_.push_back(access);
  json answer = {{"token_type", "bearer"}, {"expires_in", expires_in_}, {"access_token", access}, {"scope", scope}};
  if (scope.find("offline.access") != std::string::npos) {
    std::string refresh = Random("xref-" + std::to_string(serial_) + "-");
    refresh_[refresh] = scope;
    all_tokens_.push_back(refresh);
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

void XOAuthFake::DenyNext() {
  std::lock_guard lock(mu_);
  deny_next_ = true;
}

void XOAuthFake::RevokeAll() {
  std::lock_guard lock(mu_);
  refresh_.clear();
  for (auto& [token, a] : access_) a.revoked = true;
}

bool XOAuthFake::ValidAccess(const std::string& token) const {
  std::lock_guard lock(mu_);
  auto it = access_.find(token);
  return it != access_.end() && !it->second.revoked && steady_clock::now() < it->second.expires;
}

std::vector<std::string> XOAuthFake::AllTokens() const {
  std::lock_guard lock(mu_);
  return all_tokens_;
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

std::string XOAuthFake::LastAccessToken() const {
  std::lock_guard lock(mu_);
  for (auto it = all_tokens_.rbegin(); it != all_tokens_.rend(); ++it) {
    if (it->starts_with("xacc-")) return *it;
  }
  return {};
}

std::multimap<std::string, std::string> XOAuthFake::LastAuthorize() const {
  std::lock_guard lock(mu_);
  return last_authorize_;
}

}  // namespace herald::testing
