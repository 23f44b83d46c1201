#include "oauth/internal/graph_tokens.h"

#include <set>

#include <nlohmann/json.hpp>

#include "oauth/internal/redact.h"

namespace herald::oauth::internal {
namespace {

using nlohmann::json;

constexpr size_t kMaxAnswer = 256 * 1024;  // a page of 100 Pages fits

std::string GraphRoot(const Provider& provider) {
  const std::string& url = provider.token_url;
  return url.substr(0, url.size() - policies::kGraphTokenPath.size());
}

std::string StringOf(const json& object, const char* field) {
  if (!object.is_object()) return {};
  auto it = object.find(field);
  if (it == object.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_unsigned() || it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return {};
}

// One call to Meta: GET with the fields as the query (as documented for the
// exchanges), POST as a form; `bearer` goes in the Authorization header. The
// answer's JSON object, or its error as a Status.
Result<json> Call(const GraphApp& app, const std::string& method, const std::string& path, SentFields fields,
                  const std::string& bearer, const std::string& what) {
  const std::string& platform = app.provider.platform;
  const std::string url = GraphRoot(app.provider) + path;
  connectors::HttpHeaders headers{{"Accept", "application/json"}};
  if (!bearer.empty()) headers.push_back({"Authorization", "Bearer " + bearer});
  connectors::HttpRequest request{method, url, headers, {}, {}};
  if (method == "GET") {
    if (!fields.empty()) request.url += "?" + connectors::FormEncode(fields);
  } else {
    request.body = connectors::FormEncode(fields);
    request.content_type = "application/x-www-form-urlencoded";
  }
  request.max_body = kMaxAnswer;
  std::vector<std::string> secrets{app.client_secret};
  if (!bearer.empty()) secrets.push_back(bearer);
  auto answer = app.http.Send(request);
  if (!answer) {
    return Error(Code::kUnavailable, platform + ": " + url + " could not be reached for " + what + ": " +
                                         Quoted(answer.error().message, fields, secrets));
  }
  json body = json::parse(answer->body, nullptr, false);
  if (answer->status == 200 && body.is_object()) return body;
  if (answer->status == 200) return Error(Code::kUnavailable, platform + ": " + url + " answered " + what + " without JSON");
  // Graph: {"error":{"message","type","code"}}; Threads' token endpoint may
  // answer {"error_type","code","error_message"} at the top level.
  const json error = body.is_object() && body.contains("error") && body["error"].is_object() ? body["error"] : body;
  std::string message = StringOf(error, "message");
  if (message.empty()) message = StringOf(error, "error_message");
  int64_t code = 0;
  if (error.is_object() && error.value("code", json()).is_number_integer()) code = error["code"].get<int64_t>();
  std::string why = platform + " refused " + what + ": HTTP " + std::to_string(answer->status) +
                    (code ? " code " + std::to_string(code) : "") +
                    (message.empty() ? "" : " (" + Quoted(message, fields, secrets) + ")");
  bool transient = error.is_object() && error.value("is_transient", json()) == true;
  if (transient || answer->status >= 500 || answer->status == 429 || answer->status == 408 || code == 2 ||
      code == 4 || code == 17 || code == 32 || code == 613) {
    return Error(Code::kUnavailable, why);
  }
  // 101: the app id is unknown or its secret wrong.
  if (code == 101 || answer->status == 401) {
    return Error(Code::kFailedPrecondition, why + "; check oauth." + platform + " client_id and client_secret");
  }
  return Error(Code::kPermissionDenied, why + "; connect the account again");
}

std::string Scope(const Provider& provider) {
  std::string scope;
  for (const auto& s : provider.scopes) scope += (scope.empty() ? "" : " ") + s;
  return scope;
}

// The token and its lifetime from an exchange's answer.
Result<secrets::Grant> GrantOf(const json& answer, const Provider& provider, const std::string& what, Instant now) {
  std::string token = StringOf(answer, "access_token");
  if (token.empty()) return Error(Code::kUnavailable, provider.platform + " answered " + what + " without an access_token");
  secrets::Grant grant;
  grant.access_token = std::move(token);
  grant.platform = provider.platform;
  grant.scope = Scope(provider);
  if (auto e = answer.value("expires_in", json()); e.is_number_integer() && e.get<int64_t>() > 0) {
    grant.expires_at = now + std::chrono::seconds{e.get<int64_t>()};
  }
  return grant;
}

std::string Setting(const AccountSettings& account, const std::string& key) {
  auto it = account.find(key);
  return it == account.end() ? std::string() : it->second;
}

struct Page {
  std::string id;
  std::string name;
  std::string token;
  std::string instagram;  // its instagram_business_account's id, if any
};

// The first 20 Pages, named; the rest counted.
std::string Listed(const std::vector<Page>& pages, bool instagram) {
  constexpr size_t kNamed = 20;
  std::string out;
  for (size_t i = 0; i < pages.size() && i < kNamed; ++i) {
    const Page& p = pages[i];
    out += (out.empty() ? "" : ", ") + Printable(p.name, 80) + " (id " + Printable(p.id, 40);
    if (instagram) out += p.instagram.empty() ? ", no Instagram account" : ", Instagram user_id " + Printable(p.instagram, 40);
    out += ")";
  }
  if (pages.size() > kNamed) out += " and " + std::to_string(pages.size() - kNamed) + " more";
  return out;
}

// The account's Page among `pages` (see the header).
Result<Page> PickPage(const std::vector<Page>& pages, const Provider& provider, const AccountSettings& account) {
  const bool instagram = provider.platform == "instagram";
  const std::string key = instagram ? "user_id" : "page_id";
  const std::string wanted = Setting(account, key);
  if (pages.empty()) {
    return Error(Code::kInvalidArgument, "the Facebook login that approved herald manages no Page (or granted "
                                            "herald none of them); connect again and select the Page");
  }
  if (!wanted.empty()) {
    for (const Page& p : pages) {
      if ((instagram ? p.instagram : p.id) == wanted) return p;
    }
    return Error(Code::kInvalidArgument,
                 "the account's " + key + " " + Printable(wanted, 40) + " is not among the " +
                     (instagram ? "Instagram accounts of the " : "") + "Pages this login granted herald: " +
                     Listed(pages, instagram) + "; fix " + key + " in the account's connector settings or select that "
                     "Page when connecting again");
  }
  std::vector<Page> usable;
  for (const Page& p : pages) {
    if (!instagram || !p.instagram.empty()) usable.push_back(p);
  }
  if (usable.size() == 1) return usable.front();
  return Error(Code::kInvalidArgument,
               "this login granted herald " + std::to_string(pages.size()) + " Pages: " + Listed(pages, instagram) +
                   "; put the one to publish on into the account's connector settings as " + key +
                   ", then connect again");
}

// The Pages the login granted herald, page by page (100 each) by the `after`
// cursor, never by the answer's `next` URL (which could point anywhere);
// at most kMaxPagePages pages, and a cursor seen twice ends the walk.
constexpr int kMaxPagePages = 10;

Result<std::vector<Page>> ListPages(const GraphApp& app, const std::string& user_token) {
  std::vector<Page> pages;
  std::set<std::string> cursors;
  std::string after;
  for (int n = 0; n < kMaxPagePages; ++n) {
    SentFields fields{{"fields", "id,name,access_token,instagram_business_account"}, {"limit", "100"}};
    if (!after.empty()) fields.push_back({"after", after});
    auto listed = Call(app, "GET", "/me/accounts", fields, user_token, "the list of the login's Pages");
    if (!listed) return std::unexpected(listed.error());
    if (listed->value("data", json()).is_array()) {
      for (const json& item : (*listed)["data"]) {
        Page p{StringOf(item, "id"), StringOf(item, "name"), StringOf(item, "access_token"), ""};
        if (item.is_object() && item.value("instagram_business_account", json()).is_object()) {
          p.instagram = StringOf(item["instagram_business_account"], "id");
        }
        if (!p.id.empty() && !p.token.empty()) pages.push_back(std::move(p));
      }
    }
    // Graph gives `paging.next` only when there is a next page.
    const json paging = listed->value("paging", json());
    if (!paging.is_object() || !paging.contains("next")) break;
    after = StringOf(paging.value("cursors", json()), "after");
    if (after.empty() || !cursors.insert(after).second) break;
  }
  return pages;
}

}  // namespace

Result<secrets::Grant> FacebookLoginGrant(const GraphApp& app, const std::string& code, const AccountSettings& account,
                                          Instant /*now: a Page token has no expiry to count*/) {
  const Provider& provider = app.provider;
  auto user = Call(app, "GET", std::string(policies::kGraphTokenPath),
                   {{"client_id", provider.client_id},
                    {"redirect_uri", provider.redirect_uri},
                    {"client_secret", app.client_secret},
                    {"code", code}},
                   "", "the authorization code");
  if (!user) return std::unexpected(user.error());
  std::string short_lived = StringOf(*user, "access_token");
  if (short_lived.empty()) return Error(Code::kUnavailable, provider.platform + " answered the code without an access_token");
  auto long_lived = Call(app, "GET", std::string(policies::kGraphTokenPath),
                         {{"grant_type", "fb_exchange_token"},
                          {"client_id", provider.client_id},
                          {"client_secret", app.client_secret},
                          {"fb_exchange_token", short_lived}},
                         "", "the exchange for a long-lived user token");
  if (!long_lived) return std::unexpected(long_lived.error());
  std::string user_token = StringOf(*long_lived, "access_token");
  if (user_token.empty()) {
    return Error(Code::kUnavailable, provider.platform + " answered the exchange without an access_token");
  }
  auto pages = ListPages(app, user_token);
  if (!pages) return std::unexpected(pages.error());
  auto page = PickPage(*pages, provider, account);
  if (!page) return std::unexpected(page.error());
  // A Page token from a long-lived user token does not expire.
  secrets::Grant grant;
  grant.access_token = page->token;
  grant.platform = provider.platform;
  grant.scope = Scope(provider);
  return grant;
}

Result<secrets::Grant> ThreadsGrant(const GraphApp& app, const std::string& code, const AccountSettings& account,
                                    Instant now) {
  const Provider& provider = app.provider;
  auto short_lived = Call(app, "POST", std::string(policies::kGraphTokenPath),
                          {{"client_id", provider.client_id},
                           {"client_secret", app.client_secret},
                           {"grant_type", "authorization_code"},
                           {"redirect_uri", provider.redirect_uri},
                           {"code", code}},
                          "", "the authorization code");
  if (!short_lived) return std::unexpected(short_lived.error());
  std::string token = StringOf(*short_lived, "access_token");
  if (token.empty()) return Error(Code::kUnavailable, "threads answered the code without an access_token");
  std::string user = StringOf(*short_lived, "user_id");
  std::string wanted = Setting(account, "user_id");
  if (!wanted.empty() && !user.empty() && user != wanted) {
    return Error(Code::kInvalidArgument, "the person signed in to Threads as user " + Printable(user, 40) +
                                                ", and the account's user_id is " + Printable(wanted, 40) +
                                                "; sign in as that user, or fix user_id, and connect again");
  }
  auto long_lived = Call(app, "GET", "/access_token",
                         {{"grant_type", "th_exchange_token"}, {"client_secret", app.client_secret}, {"access_token", token}},
                         "", "the exchange for a long-lived token");
  if (!long_lived) return std::unexpected(long_lived.error());
  return GrantOf(*long_lived, provider, "the exchange", now);
}

Result<secrets::Grant> RefreshThreads(const GraphApp& app, const std::string& access_token, Instant now) {
  auto refreshed = Call(app, "GET", "/refresh_access_token",
                        {{"grant_type", "th_refresh_token"}, {"access_token", access_token}}, "", "the refresh");
  if (!refreshed) return std::unexpected(refreshed.error());
  return GrantOf(*refreshed, app.provider, "the refresh", now);
}

}  // namespace herald::oauth::internal
