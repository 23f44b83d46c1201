// End-to-end: connecting Facebook Pages, Instagram accounts and Threads
// accounts by OAuth through the real `herald serve` against the fake Meta
// authorization servers and Graph APIs. Facebook Login ends in a Page token
// (the Page the settings name, or the only one; several without a name is a
// refusal listing them); Instagram publishes with the token of the Page its
// account is linked to; Threads' 60-day token is exchanged, refreshed ahead
// of expiry with itself, and a refused refresh makes the account "needs
// reconnecting" until a new connect. A Page token Meta stops taking (code
// 190) does the same. No token or client secret appears in any response or log.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/cli/oauth_daemon.h"
#include "tests/connectors/fakes/facebook_page_fake.h"
#include "tests/connectors/fakes/instagram_fake.h"
#include "tests/connectors/fakes/meta_oauth_fake.h"
#include "tests/connectors/fakes/threads_fake.h"
#include "tests/connectors/fakes/x_oauth_fake.h"

namespace {

using namespace std::chrono_literals;
using herald::testing::FacebookPageFake;
using herald::testing::InstagramFake;
using herald::testing::MetaOAuthFake;
using herald::testing::OAuthDaemon;
using herald::testing::ThreadsFake;
using herald::testing::XOAuthFake;

const std::string kFacebookAppId = "881200334455";
const std::string kFacebookSecret = "fb-e2e-secret-7f3a91c2";
const std::string kThreadsAppId = "990602627938098";
const std::string kThreadsSecret = "th-e2e-secret-2b8d04e6";
const std::string kInstagramUser = "17841400000000001";

struct AccountLine {
  std::string id, platform, connector;  // connector: YAML lines indented by 8
};

std::string Policy(const std::string& organization, const std::vector<AccountLine>& accounts) {
  std::string text = "version: 1\norganization: " + organization + "\ntimezone: UTC\naccounts:\n  list:\n";
  for (const auto& a : accounts) {
    text += "    - id: " + a.id + "\n      platform: " + a.platform + "\n      connector:\n" + a.connector;
  }
  return text + "frequency:\n  default:\n    min_spacing: 0s\n  max_delay: 48h\n  missed_after: 30m\n"
                "approval: { required: true, approvers: [manager], four_eyes: true }\n";
}

std::string AppSection(const std::string& platform, const std::string& id, const std::string& secret_env,
                       const MetaOAuthFake& auth) {
  return "  " + platform + ":\n    client_id: \"" + id + "\"\n    client_secret: env:" + secret_env +
         "\n    redirect_uri: " + herald::testing::kOAuthRedirect + "\n    authorize_url: " + auth.authorize_url() +
         "\n    token_url: " + auth.token_url() + "\n";
}

std::string FacebookSection(const MetaOAuthFake& auth) {
  setenv("HERALD_E2E_FACEBOOK_SECRET", kFacebookSecret.c_str(), 1);
  // One Facebook app serves Pages and Instagram accounts alike.
  return AppSection("facebook_page", kFacebookAppId, "HERALD_E2E_FACEBOOK_SECRET", auth) +
         AppSection("instagram", kFacebookAppId, "HERALD_E2E_FACEBOOK_SECRET", auth);
}

std::string ThreadsSection(const MetaOAuthFake& auth) {
  setenv("HERALD_E2E_THREADS_SECRET", kThreadsSecret.c_str(), 1);
  return AppSection("threads", kThreadsAppId, "HERALD_E2E_THREADS_SECRET", auth);
}

std::string State(OAuthDaemon& herald, const std::string& account) {
  return herald.Account(account)["connection"]["state"].get<std::string>();
}

httplib::Result Connect(OAuthDaemon& herald, const std::string& account) {
  auto redirect = XOAuthFake::Authorize(herald.AuthorizationUrl(account, "mona"));
  REQUIRE(redirect.contains("code"));
  return herald.Callback(redirect);
}

int64_t CreateWithImage(OAuthDaemon& herald, const std::string& account, const std::string& text) {
  using namespace std::chrono;
  nlohmann::json body = {{"account", account}, {"text", text},
                         {"media", {{{"url", "https://cdn.example.com/bread.jpg"}, {"alt", "A loaf of bread"}}}},
                         {"at", herald::FormatRfc3339(floor<seconds>(system_clock::now()) + seconds{2})}};
  auto created = herald.Keep(herald.http->Post("/v1/posts", herald.Auth("alice"), body.dump(), "application/json"));
  INFO(created->body);
  REQUIRE(created->status == 201);
  int64_t id = nlohmann::json::parse(created->body)["id"].get<int64_t>();
  auto approved = herald.Keep(
      herald.http->Post("/v1/posts/" + std::to_string(id) + "/approve", herald.Auth("mona"), "", "application/json"));
  REQUIRE(approved->status == 200);
  return id;
}

TEST_CASE("oauth facebook_page e2e: the named Page, the only Page, several Pages refused with their names, a "
          "revoked Page token, reconnected, published",
          "[e2e][oauth_e2e][facebook_page]") {
  MetaOAuthFake auth(MetaOAuthFake::Server::kFacebook, kFacebookAppId, kFacebookSecret);
  auth.SetPages({{"1110001", "Acme Bakery", ""}, {"2220002", "Acme Cafe", ""}});
  FacebookPageFake api("2220002", "the-static-token-is-not-used");
  api.AcceptTokens([&](const std::string& token) { return auth.ValidFor(token, "2220002"); });
  auto connector = [&](const std::string& page) {
    return "        base_url: " + api.base_url() + "\n        auth: oauth\n" +
           (page.empty() ? "" : "        page_id: \"" + page + "\"\n");
  };
  OAuthDaemon herald({{"acme.yaml", Policy("acme", {{"acme-fb", "facebook_page", connector("2220002")},
                                                    {"acme-fb-only", "facebook_page", connector("")}})},
                      {"globex.yaml", Policy("globex", {{"globex-fb", "facebook_page", connector("2220002")}})}},
                     "oauth:\n" + FacebookSection(auth));
  CHECK(herald.StartConnect("acme-fb", "gina")->status == 404);  // another organisation's account
  CHECK(herald.StartConnect("acme-fb", "alice")->status == 403);  // an editor
  CHECK(State(herald, "acme-fb") == "not_connected");

  // The Page the settings name, though the login manages two.
  auto redirect = XOAuthFake::Authorize(herald.AuthorizationUrl("acme-fb", "mona"));
  auto query = auth.LastAuthorize();
  CHECK(query.find("scope")->second ==
        "pages_show_list,pages_manage_posts,pages_read_engagement,pages_read_user_content,pages_manage_engagement");
  CHECK(query.count("code_challenge") == 0);
  CHECK(herald.Callback({{"code", redirect["code"]}, {"state", "forged"}})->status == 400);
  auto done = herald.Callback(redirect);
  INFO(done->body);
  REQUIRE(done->status == 200);
  CHECK(herald.Callback(redirect)->status == 400);  // replayed
  CHECK(auth.CodeExchanges() == 1);
  CHECK(auth.PageListsWithTokenInUrl() == 0);
  auto account = herald.Account("acme-fb");
  CHECK(account["connection"]["state"] == "connected");
  CHECK(account["connection"]["expires_at"].is_null());  // a Page token does not expire
  int64_t first = herald.CreateAndApprove("acme-fb", "Fresh bread at the cafe #1");
  REQUIRE(OAuthDaemon::WaitFor([&] { return herald.Post(first)["state"] == "published"; }, 20s));
  REQUIRE(api.Posts().size() == 1);

  // No Page named and two granted: refused, naming both to choose from.
  auto several = Connect(herald, "acme-fb-only");
  CHECK(several->status == 400);
  CHECK_THAT(several->body, Catch::Contains("Acme Bakery (id 1110001)") && Catch::Contains("Acme Cafe (id 2220002)") &&
                                Catch::Contains("page_id"));
  CHECK(State(herald, "acme-fb-only") == "not_connected");
  // The only Page the login grants is the one: its posts go to "me", the Page.
  auth.SetPages({{"2220002", "Acme Cafe", ""}});
  auto only = Connect(herald, "acme-fb-only");
  INFO(only->body);
  REQUIRE(only->status == 200);
  int64_t second = herald.CreateAndApprove("acme-fb-only", "Only Page #2");
  REQUIRE(OAuthDaemon::WaitFor([&] { return herald.Post(second)["state"] == "published"; }, 20s));
  CHECK(api.Posts().size() == 2);

  // The person removes the app: Graph answers 190 and the account waits for a reconnect.
  auth.RevokeAll();
  int64_t third = herald.CreateAndApprove("acme-fb", "Waiting for a reconnect #3");
  REQUIRE(OAuthDaemon::WaitFor([&] { return State(herald, "acme-fb") == "needs_reconnect"; }, 20s));
  REQUIRE(OAuthDaemon::WaitFor(
      [&] { return herald.Post(third).dump().find("needs reconnecting") != std::string::npos; }, 20s));
  CHECK(herald.Post(third)["state"] == "scheduled");
  CHECK(api.Posts().size() == 2);
  auto again = Connect(herald, "acme-fb");
  REQUIRE(again->status == 200);
  CHECK(State(herald, "acme-fb") == "connected");
  REQUIRE(OAuthDaemon::WaitFor([&] { return herald.Post(third)["state"] == "published"; }, 45s));
  CHECK(api.Posts().size() == 3);
  CHECK(herald.daemon->Terminate() == 0);
  auto secrets = auth.AllTokens();
  REQUIRE(secrets.size() >= 6);
  secrets.push_back(kFacebookSecret);
  herald.ExpectAbsent(secrets);
}

TEST_CASE("oauth instagram e2e: the account's Page is found by its Instagram account, and the Page token publishes",
          "[e2e][oauth_e2e][instagram]") {
  MetaOAuthFake auth(MetaOAuthFake::Server::kFacebook, kFacebookAppId, kFacebookSecret);
  auth.SetPages({{"1110001", "Acme Bakery", ""}, {"2220002", "Acme Cafe", kInstagramUser}});
  InstagramFake api(kInstagramUser, "the-static-token-is-not-used");
  api.AcceptTokens([&](const std::string& token) { return auth.ValidFor(token, "2220002"); });
  std::string connector = "        base_url: " + api.base_url() + "\n        auth: oauth\n        user_id: \"" +
                          kInstagramUser + "\"\n";
  OAuthDaemon herald({{"acme.yaml", Policy("acme", {{"acme-ig", "instagram", connector}})}},
                     "oauth:\n" + FacebookSection(auth));
  auto redirect = XOAuthFake::Authorize(herald.AuthorizationUrl("acme-ig", "mona"));
  CHECK_THAT(auth.LastAuthorize().find("scope")->second, Catch::Contains("instagram_content_publish"));
  auto done = herald.Callback(redirect);
  INFO(done->body);
  REQUIRE(done->status == 200);
  CHECK(State(herald, "acme-ig") == "connected");
  int64_t post = CreateWithImage(herald, "acme-ig", "Bread of the day");
  REQUIRE(OAuthDaemon::WaitFor([&] { return herald.Post(post)["state"] == "published"; }, 30s));
  CHECK(api.Posts().size() == 1);

  // A login whose Pages have no such Instagram account is refused, listing them.
  auth.SetPages({{"1110001", "Acme Bakery", ""}});
  auto refused = Connect(herald, "acme-ig");
  CHECK(refused->status == 400);
  CHECK_THAT(refused->body, Catch::Contains("Acme Bakery (id 1110001, no Instagram account)"));
  CHECK(State(herald, "acme-ig") == "connected");  // the earlier grant stays
  CHECK(herald.daemon->Terminate() == 0);
  auto secrets = auth.AllTokens();
  secrets.push_back(kFacebookSecret);
  herald.ExpectAbsent(secrets);
}

TEST_CASE("oauth threads e2e: exchanged for a long-lived token, refreshed with itself ahead of expiry, refused, "
          "reconnected, published",
          "[e2e][oauth_e2e][threads]") {
  MetaOAuthFake auth(MetaOAuthFake::Server::kThreads, kThreadsAppId, kThreadsSecret);
  auth.SetUserId("7001");
  auth.SetExpiresIn(10);
  ThreadsFake api("7001", "the-static-token-is-not-used");
  api.AcceptTokens([&](const std::string& token) { return auth.ValidFor(token); });
  std::string connector = "        base_url: " + api.base_url() + "\n        auth: oauth\n        user_id: \"7001\"\n";
  OAuthDaemon herald({{"acme.yaml", Policy("acme", {{"acme-th", "threads", connector}})},
                      {"globex.yaml", Policy("globex", {{"globex-th", "threads", connector}})}},
                     "oauth:\n" + ThreadsSection(auth));
  CHECK(herald.StartConnect("acme-th", "gina")->status == 404);
  auto redirect = XOAuthFake::Authorize(herald.AuthorizationUrl("acme-th", "mona"));
  CHECK(auth.LastAuthorize().find("scope")->second ==
        "threads_basic,threads_content_publish,threads_read_replies,threads_manage_replies");
  auto done = herald.Callback(redirect);
  INFO(done->body);
  REQUIRE(done->status == 200);
  CHECK(herald.Callback(redirect)->status == 400);  // replayed
  CHECK(State(herald, "acme-th") == "connected");
  CHECK(herald.Account("acme-th")["connection"]["expires_at"].is_string());

  // Refreshed before each 10-second token runs out; the old one stops working.
  REQUIRE(OAuthDaemon::WaitFor([&] { return auth.Refreshes() >= 2; }, 30s));
  CHECK(auth.RefusedRefreshes() == 0);
  int64_t first = herald.CreateAndApprove("acme-th", "Connected to Threads #1");
  REQUIRE(OAuthDaemon::WaitFor([&] { return herald.Post(first)["state"] == "published"; }, 20s));
  CHECK(api.Posts().size() == 1);

  // The person removes the app: the next refresh is refused.
  auth.RevokeAll();
  REQUIRE(OAuthDaemon::WaitFor([&] { return State(herald, "acme-th") == "needs_reconnect"; }, 20s));
  CHECK(auth.RefusedRefreshes() >= 1);
  CHECK_THAT(herald.Metrics(), Catch::Contains("herald_accounts_needing_reconnect 1"));
  int64_t second = herald.CreateAndApprove("acme-th", "Waiting for a reconnect #2");
  REQUIRE(OAuthDaemon::WaitFor(
      [&] { return herald.Post(second).dump().find("needs reconnecting") != std::string::npos; }, 20s));
  CHECK(api.Posts().size() == 1);

  // Signed in as another Threads user: refused, the mark stays.
  auth.SetUserId("9999");
  auto wrong = Connect(herald, "acme-th");
  CHECK(wrong->status == 400);
  CHECK_THAT(wrong->body, Catch::Contains("user 9999"));
  CHECK(State(herald, "acme-th") == "needs_reconnect");

  auth.SetUserId("7001");
  auth.SetExpiresIn(5184000);
  auto again = Connect(herald, "acme-th");
  REQUIRE(again->status == 200);
  CHECK(State(herald, "acme-th") == "connected");
  REQUIRE(OAuthDaemon::WaitFor([&] { return herald.Post(second)["state"] == "published"; }, 45s));
  CHECK(api.Posts().size() == 2);
  CHECK(herald.daemon->Terminate() == 0);
  auto secrets = auth.AllTokens();
  REQUIRE(secrets.size() >= 5);
  secrets.push_back(kThreadsSecret);
  herald.ExpectAbsent(secrets);
}

TEST_CASE("oauth meta e2e: herald account connect connects a Page, an Instagram account and a Threads account, "
          "and the Page publishes",
          "[e2e][oauth_e2e][facebook_page][instagram][threads]") {
  MetaOAuthFake facebook(MetaOAuthFake::Server::kFacebook, kFacebookAppId, kFacebookSecret);
  facebook.SetPages({{"2220002", "Acme Cafe", kInstagramUser}});
  MetaOAuthFake threads(MetaOAuthFake::Server::kThreads, kThreadsAppId, kThreadsSecret);
  threads.SetUserId("7001");
  FacebookPageFake page("2220002", "the-static-token-is-not-used");
  page.AcceptTokens([&](const std::string& token) { return facebook.ValidFor(token, "2220002"); });
  std::string oauth = "        auth: oauth\n";
  OAuthDaemon herald(
      {{"acme.yaml",
        Policy("acme", {{"acme-fb", "facebook_page", "        base_url: " + page.base_url() + "\n" + oauth},
                        {"acme-ig", "instagram", oauth + "        user_id: \"" + kInstagramUser + "\"\n"},
                        {"acme-th", "threads", oauth + "        user_id: \"7001\"\n"}})}},
      "oauth:\n" + FacebookSection(facebook) + ThreadsSection(threads));
  for (const auto& [account, auth] : {std::pair<std::string, MetaOAuthFake*>{"acme-fb", &facebook},
                                      {"acme-ig", &facebook}, {"acme-th", &threads}}) {
    INFO(account);
    herald.ConnectWithCli(account, auth->authorize_url() + "?");
    CHECK(State(herald, account) == "connected");
  }
  int64_t post = herald.CreateAndApprove("acme-fb", "Connected from the command line");
  REQUIRE(OAuthDaemon::WaitFor([&] { return herald.Post(post)["state"] == "published"; }, 20s));
  CHECK(page.Posts().size() == 1);
  CHECK(herald.daemon->Terminate() == 0);
  auto secrets = facebook.AllTokens();
  for (const auto& t : threads.AllTokens()) secrets.push_back(t);
  REQUIRE(secrets.size() >= 4);
  secrets.push_back(kFacebookSecret);
  secrets.push_back(kThreadsSecret);
  herald.ExpectAbsent(secrets);
}

}  // namespace
