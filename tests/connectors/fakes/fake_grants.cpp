#include "tests/connectors/fakes/fake_grants.h"

#include <openssl/rand.h>

namespace herald::testing {

using std::chrono::steady_clock;

std::string RandomToken(const std::string& prefix) {
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

void FakeGrants::Authorize(const httplib::Request& req, httplib::Response& res, const AuthorizeRules& rules) {
  auto p = [&](const char* name) { return req.has_param(name) ? req.get_param_value(name) : std::string(); };
  std::lock_guard lock(mu_);
  last_authorize_ = {req.params.begin(), req.params.end()};
  bool pkce_ok = !rules.pkce || (!p("code_challenge").empty() && p("code_challenge_method") == "S256");
  std::string response_type = p("response_type");
  if (response_type.empty() && rules.code_by_default) response_type = "code";
  if (response_type != "code" || p("client_id") != rules.client_id || p("redirect_uri").empty() ||
      p("state").empty() || !pkce_ok) {
    res.status = 400;
    return res.set_content(rules.bad_request, "text/html");
  }
  std::string target = p("redirect_uri") + (p("redirect_uri").find('?') == std::string::npos ? "?" : "&");
  std::string state = httplib::detail::encode_query_param(p("state"));
  if (deny_next_) {
    deny_next_ = false;
    target += rules.denied + "&state=" + state;
  } else {
    std::string code = RandomToken(rules.code_prefix);
    codes_[code] = {p("code_challenge"), p("redirect_uri"), p("scope"), steady_clock::now()};
    target += "code=" + code + "&state=" + state;
  }
  res.status = 302;
  res.set_header("Location", target);
}

std::optional<FakeGrants::Code> FakeGrants::Spend(const std::string& code, std::chrono::seconds lifetime) {
  std::lock_guard lock(mu_);
  auto it = codes_.find(code);
  if (it == codes_.end()) return std::nullopt;
  Code c = it->second;
  codes_.erase(it);
  if (steady_clock::now() - c.issued > lifetime) return std::nullopt;
  return c;
}

std::string FakeGrants::IssueAccess(const std::string& prefix, int seconds) {
  std::string token = RandomToken(prefix);
  std::lock_guard lock(mu_);
  access_[token] = {steady_clock::now() + std::chrono::seconds{seconds}, false};
  all_tokens_.push_back(token);
  last_access_ = token;
  return token;
}

void FakeGrants::Remember(const std::string& token) {
  std::lock_guard lock(mu_);
  all_tokens_.push_back(token);
}

void FakeGrants::Revoke(const std::string& access_token) {
  std::lock_guard lock(mu_);
  if (auto it = access_.find(access_token); it != access_.end()) it->second.revoked = true;
}

void FakeGrants::RevokeAll() {
  std::lock_guard lock(mu_);
  for (auto& [token, a] : access_) a.revoked = true;
}

bool FakeGrants::ValidAccess(const std::string& token) const { return Remaining(token).has_value(); }

std::optional<std::chrono::seconds> FakeGrants::Remaining(const std::string& token) const {
  std::lock_guard lock(mu_);
  auto it = access_.find(token);
  auto now = steady_clock::now();
  if (it == access_.end() || it->second.revoked || now >= it->second.expires) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(it->second.expires - now);
}

void FakeGrants::DenyNext() {
  std::lock_guard lock(mu_);
  deny_next_ = true;
}

std::vector<std::string> FakeGrants::AllTokens() const {
  std::lock_guard lock(mu_);
  return all_tokens_;
}

std::string FakeGrants::LastAccessToken() const {
  std::lock_guard lock(mu_);
  return last_access_;
}

std::multimap<std::string, std::string> FakeGrants::LastAuthorize() const {
  std::lock_guard lock(mu_);
  return last_authorize_;
}

}  // namespace herald::testing
