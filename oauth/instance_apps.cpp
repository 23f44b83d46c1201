#include "oauth/instance_apps.h"

#include <nlohmann/json.hpp>

#include <cctype>

#include "policies/server_config.h"

namespace herald::oauth {
namespace {

using nlohmann::json;

constexpr size_t kMaxAnswer = 64 * 1024;

std::string RowOf(const Provider& provider, std::string_view origin) {
  return "app:" + provider.platform + ":" + std::string(origin);
}

std::string Scopes(const Provider& provider) {
  std::string out;
  for (const auto& s : provider.scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

Result<std::string> InstanceOrigin(std::string_view base_url) {
  auto scheme_end = base_url.find("://");
  if (scheme_end == std::string_view::npos || !policies::IsSafeOAuthUrl(base_url)) {
    return Error(Code::kInvalidArgument, "the account's base_url must be https:// (http:// only to a loopback host) to "
                                         "connect it by OAuth");
  }
  size_t host_start = scheme_end + 3;
  size_t host_end = base_url.find_first_of("/?#", host_start);
  std::string origin(base_url.substr(0, host_end == std::string_view::npos ? base_url.size() : host_end));
  if (origin.find('@') != std::string::npos || origin.size() == host_start) {
    return Error(Code::kInvalidArgument, "the account's base_url names no plain host");
  }
  for (char& c : origin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return origin;
}

std::shared_ptr<std::mutex> InstanceApps::MutexOf(const std::string& origin) {
  std::lock_guard lock(mu_);
  auto& m = registering_[origin];
  if (!m) m = std::make_shared<std::mutex>();
  return m;
}

Result<InstanceApps::Stored> InstanceApps::Find(const std::string& origin) {
  auto stored = vault_.Load(kInstanceAppsOrganization, RowOf(provider_, origin));
  if (!stored) return std::unexpected(stored.error());
  Stored out;
  if (!*stored) return out;
  out.version = (*stored)->version;
  json app = json::parse((*stored)->grant.access_token, nullptr, false);
  if (!app.is_object()) return out;
  auto text = [&](const char* name) { return app.value(name, json()).is_string() ? app[name].get<std::string>() : ""; };
  if (text("redirect_uri") != provider_.redirect_uri || text("scopes") != Scopes(provider_) ||
      text("client_id").empty()) {
    return out;
  }
  out.app = App{text("client_id"), text("client_secret")};
  return out;
}

Result<InstanceApps::App> InstanceApps::Register(const std::string& origin) const {
  std::vector<std::pair<std::string, std::string>> form{{"client_name", provider_.client_name},
                                                        {"redirect_uris", provider_.redirect_uri},
                                                        {"scopes", Scopes(provider_)}};
  if (!provider_.website.empty()) form.push_back({"website", provider_.website});
  connectors::HttpRequest request{"POST", origin + "/api/v1/apps", {{"Accept", "application/json"}},
                                  connectors::FormEncode(form), "application/x-www-form-urlencoded"};
  request.max_body = kMaxAnswer;
  const std::string where = provider_.platform + " instance " + origin;
  auto answer = http_.Send(request);
  if (!answer) {
    return Error(Code::kUnavailable, "registering herald's app on " + where + " failed: " + answer.error().message);
  }
  json body = json::parse(answer->body, nullptr, false);
  if (answer->status != 200) {
    std::string error = body.is_object() && body.value("error", json()).is_string() ? body["error"].get<std::string>() : "";
    if (error.size() > 200) error = error.substr(0, 200) + "...";
    std::string why = where + " refused to register herald's app: HTTP " + std::to_string(answer->status) +
                      (error.empty() ? "" : " (" + error + ")");
    bool transient = answer->status >= 500 || answer->status == 429 || answer->status == 408;
    return Error(transient ? Code::kUnavailable : Code::kFailedPrecondition,
                 transient ? why : why + "; check oauth." + provider_.platform + " redirect_uri and scopes");
  }
  auto text = [&](const char* name) {
    return body.is_object() && body.value(name, json()).is_string() ? body[name].get<std::string>() : "";
  };
  if (text("client_id").empty() || text("client_secret").empty()) {
    return Error(Code::kUnavailable, where + " registered herald's app but gave no client_id and client_secret");
  }
  return App{text("client_id"), text("client_secret")};
}

Result<TokenEndpoint> InstanceApps::EndpointOn(const std::string& origin, Instant now) {
  auto endpoint = [&](const App& app) {
    return TokenEndpoint(OnInstance(provider_, origin, app.client_id), app.client_secret, http_);
  };
  auto found = Find(origin);
  if (!found) return std::unexpected(found.error());
  if (found->app) return endpoint(*found->app);
  auto local = MutexOf(origin);
  std::lock_guard in_process(*local);
  auto across = vault_.store().LockAccount(kInstanceAppsOrganization, RowOf(provider_, origin));
  if (!across) return std::unexpected(across.error());
  // Read again under the lock: another daemon may have registered it.
  found = Find(origin);
  if (!found) return std::unexpected(found.error());
  if (found->app) return endpoint(*found->app);
  auto app = Register(origin);
  if (!app) return std::unexpected(app.error());
  secrets::Grant row;
  row.access_token = json{{"client_id", app->client_id},
                          {"client_secret", app->client_secret},
                          {"redirect_uri", provider_.redirect_uri},
                          {"scopes", Scopes(provider_)}}
                         .dump();
  row.scope = Scopes(provider_);
  row.platform = provider_.platform;
  auto saved = vault_.Save(kInstanceAppsOrganization, RowOf(provider_, origin), row, now, found->version);
  if (!saved) return std::unexpected(saved.error());
  return endpoint(*app);
}

}  // namespace herald::oauth
