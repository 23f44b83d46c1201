#include "oauth/token_endpoint.h"

#include <nlohmann/json.hpp>

#include <openssl/evp.h>

#include "oauth/internal/graph_tokens.h"
#include "oauth/internal/redact.h"

namespace herald::oauth {
namespace {

using nlohmann::json;

constexpr size_t kMaxAnswer = 64 * 1024;

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Quoted(const std::string& text, const internal::SentFields& sent, const std::optional<std::string>& secret) {
  return internal::Quoted(text, sent, secret ? std::vector<std::string>{*secret} : std::vector<std::string>{});
}

}  // namespace

bool Refreshable(const secrets::Grant& grant) {
  return !grant.refresh_token.empty() || (RefreshesWithAccessToken(grant.platform) && grant.expires_at);
}

Result<secrets::Grant> TokenEndpoint::ExchangeCode(const std::string& code, const std::string& verifier,
                                                   const AccountSettings& account, Instant now) const {
  if (provider_.flow != Flow::kOAuth2) {
    if (!client_secret_) {
      return Error(Code::kFailedPrecondition, "oauth." + provider_.platform + " has no client_secret");
    }
    internal::GraphApp app{provider_, *client_secret_, http_};
    if (provider_.flow == Flow::kThreads) return internal::ThreadsGrant(app, code, account, now);
    return internal::FacebookLoginGrant(app, code, account, now);
  }
  std::vector<std::pair<std::string, std::string>> fields{
      {"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", provider_.redirect_uri}};
  if (provider_.pkce) fields.push_back({"code_verifier", verifier});
  return Post(std::move(fields), "the authorization code", now);
}

Result<secrets::Grant> TokenEndpoint::Renew(const secrets::Grant& grant, Instant now) const {
  if (provider_.flow == Flow::kThreads) {
    if (!client_secret_) {
      return Error(Code::kFailedPrecondition, "oauth." + provider_.platform + " has no client_secret");
    }
    return internal::RefreshThreads({provider_, *client_secret_, http_}, grant.access_token, now);
  }
  if (grant.refresh_token.empty()) {
    return Error(Code::kFailedPrecondition, provider_.platform + " gave this account no refresh token");
  }
  return Refresh(grant.refresh_token, now);
}

Result<secrets::Grant> TokenEndpoint::Refresh(const std::string& refresh_token, Instant now) const {
  auto grant = Post({{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}}, "the refresh token", now);
  if (grant && grant->refresh_token.empty()) grant->refresh_token = refresh_token;
  return grant;
}

Result<secrets::Grant> TokenEndpoint::Post(std::vector<std::pair<std::string, std::string>> fields,
                                           const std::string& what, Instant now) const {
  const std::string& platform = provider_.platform;
  connectors::HttpHeaders headers{{"Accept", "application/json"}};
  if (client_secret_ && provider_.client_auth == ClientAuth::kForm) {
    fields.push_back({"client_id", provider_.client_id});
    fields.push_back({"client_secret", *client_secret_});
  } else if (client_secret_) {
    headers.push_back({"Authorization", "Basic " + Base64(connectors::PercentEncode(provider_.client_id) + ":" +
                                                          connectors::PercentEncode(*client_secret_))});
  } else {
    fields.push_back({"client_id", provider_.client_id});
  }
  connectors::HttpRequest request{"POST", provider_.token_url, headers, connectors::FormEncode(fields),
                                  "application/x-www-form-urlencoded"};
  request.max_body = kMaxAnswer;
  auto answer = http_.Send(request);
  if (!answer) {
    return Error(Code::kUnavailable, platform + " token endpoint " + provider_.token_url +
                                         " could not be reached: " + Quoted(answer.error().message, fields, client_secret_));
  }
  json body = json::parse(answer->body, nullptr, false);
  if (answer->status != 200) {
    std::string error = body.is_object() && body.value("error", json()).is_string() ? body["error"].get<std::string>() : "";
    std::string description;
    if (body.is_object() && body.value("error_description", json()).is_string()) {
      description = body["error_description"].get<std::string>();
    }
    std::string why = platform + " token endpoint refused " + what + ": HTTP " + std::to_string(answer->status) +
                      (error.empty() ? "" : " " + Quoted(error, fields, client_secret_)) +
                      (description.empty() ? "" : " (" + Quoted(description, fields, client_secret_) + ")");
    if (answer->status >= 500 || answer->status == 429 || answer->status == 408) return Error(Code::kUnavailable, why);
    if (error == "invalid_client" || error == "unauthorized_client" || answer->status == 401) {
      return Error(Code::kFailedPrecondition, why + "; check oauth." + platform + " client_id and client_secret");
    }
    return Error(Code::kPermissionDenied, why + "; connect the account again");
  }
  if (!body.is_object() || !body.value("access_token", json()).is_string() ||
      body["access_token"].get<std::string>().empty()) {
    return Error(Code::kUnavailable, platform + " token endpoint answered " + what + " without an access_token");
  }
  secrets::Grant grant;
  grant.access_token = body["access_token"].get<std::string>();
  if (body.value("refresh_token", json()).is_string()) grant.refresh_token = body["refresh_token"].get<std::string>();
  if (body.value("scope", json()).is_string()) grant.scope = body["scope"].get<std::string>();
  if (auto expires = body.value("expires_in", json()); expires.is_number_integer() && expires.get<int64_t>() > 0) {
    grant.expires_at = now + std::chrono::seconds{expires.get<int64_t>()};
  }
  return grant;
}

}  // namespace herald::oauth
