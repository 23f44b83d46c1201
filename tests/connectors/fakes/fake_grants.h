// FakeGrants: what every fake authorization server keeps, written once. The
// authorization page (GET, as the signed-in user who approves at once: a 302
// back to redirect_uri with a code and the state, or with the platform's
// refusal after DenyNext()), the codes it issued (each spent by its first
// exchange, right or wrong, and dead after its lifetime), and the access
// tokens issued with their expiry (revoked all at once when the user removes
// the app). The platform fakes (X, LinkedIn, Meta) add their own token
// endpoints and refresh rules on top.
//
// Thread-safe: every member locks; handlers run on the server's threads.
#pragma once

#include <httplib.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace herald::testing {

// prefix + 36 random hex digits.
std::string RandomToken(const std::string& prefix);

class FakeGrants {
 public:
  struct AuthorizeRules {
    std::string client_id;
    bool pkce = false;                // the request must carry an S256 code_challenge
    std::string denied;               // the query a refusal redirects with, before &state=
    std::string code_prefix = "code-";
    std::string bad_request;          // the page a malformed request gets (HTTP 400)
    bool code_by_default = false;     // response_type may be left out (Facebook's dialog)
  };
  struct Code {
    std::string challenge;
    std::string redirect_uri;
    std::string scope;
    std::chrono::steady_clock::time_point issued;
  };

  // The authorization page's handler.
  void Authorize(const httplib::Request& req, httplib::Response& res, const AuthorizeRules& rules);
  // Spends `code`: nullopt when never issued, spent already, or older than `lifetime`.
  std::optional<Code> Spend(const std::string& code, std::chrono::seconds lifetime);

  // A new access token living `seconds`.
  std::string IssueAccess(const std::string& prefix, int seconds);
  // A token issued otherwise (a refresh token), listed by AllTokens().
  void Remember(const std::string& token);
  void Revoke(const std::string& access_token);
  void RevokeAll();
  bool ValidAccess(const std::string& token) const;
  // How long `token` has to live; nullopt when it is not valid.
  std::optional<std::chrono::seconds> Remaining(const std::string& token) const;

  void DenyNext();
  std::vector<std::string> AllTokens() const;  // every access and refresh token issued
  std::string LastAccessToken() const;
  std::multimap<std::string, std::string> LastAuthorize() const;

 private:
  struct Access {
    std::chrono::steady_clock::time_point expires;
    bool revoked = false;
  };
  mutable std::mutex mu_;
  std::map<std::string, Code> codes_;       // unspent; guarded by mu_
  std::map<std::string, Access> access_;    // guarded by mu_
  std::vector<std::string> all_tokens_;     // guarded by mu_
  std::string last_access_;                 // guarded by mu_
  std::multimap<std::string, std::string> last_authorize_;  // guarded by mu_
  bool deny_next_ = false;                  // guarded by mu_
};

}  // namespace herald::testing
