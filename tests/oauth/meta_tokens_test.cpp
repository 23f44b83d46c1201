// Meta's exchanges through the one engine, against the fake Meta
// authorization servers on a real SQLite store, with time passed in: Facebook
// Login ends in the Page token of the Page the settings name (or the only
// one; several without a name is a refusal naming them), Instagram in the
// token of the Page its account is linked to; a Threads token is exchanged for
// a 60-day one, renewed with itself in its last 7 days (not before), and a
// renewal Threads refuses leaves the account needing a reconnect.
#include <catch2/catch.hpp>

#include "oauth/grant_keeper.h"
#include "tests/connectors/fakes/meta_oauth_fake.h"
#include "tests/connectors/fakes/x_oauth_fake.h"
#include "tests/oauth/oauth_testing.h"

namespace herald::oauth {
namespace {

using namespace std::chrono_literals;
using herald::testing::MetaOAuthFake;
using std::chrono::days;

constexpr const char* kRedirect = "https://herald.example.org/v1/oauth/callback";
constexpr const char* kSecret = "meta-app-secret-8c1f";

struct MetaBench {
  explicit MetaBench(MetaOAuthFake::Server server, std::string platform, AccountSettings settings)
      : fake(server, "4242", kSecret), platform(std::move(platform)), settings(std::move(settings)) {
    endpoints.SetConnectorOf([this](const std::string&, const std::string&) -> Result<policies::ConnectorConfig> {
      policies::ConnectorConfig c;
      c.settings = this->settings;
      return c;
    });
  }

  Apps MakeApps(std::string secret = kSecret) {
    policies::OAuthApp app{"4242", {}, kRedirect, {}, fake.authorize_url(), fake.token_url()};
    auto provider = ProviderFor(platform, app);
    REQUIRE(provider.has_value());
    Apps out;
    out.emplace(platform, TokenEndpoint(*provider, std::move(secret), connectors::HttpClient()));
    return out;
  }

  // The callback of a connect started at t0, approved at once.
  Result<Connected> Connect() {
    auto started = flow.Start("acme", "acme-meta", platform, "mona", t0);
    REQUIRE(started.has_value());
    auto redirect = herald::testing::XOAuthFake::Authorize(started->authorization_url);
    REQUIRE(redirect.contains("code"));
    return flow.Complete(redirect["code"], redirect["state"], "", t0);
  }

  secrets::StoredGrant Stored() {
    auto g = vault.Load("acme", "acme-meta");
    REQUIRE(g.has_value());
    REQUIRE(g->has_value());
    return **g;
  }

  storage::testing::TempDir dir;
  std::unique_ptr<storage::Store> store = testing::OpenSqlite(dir.path());
  secrets::GrantVault vault{*store, testing::TestRing()};
  MetaOAuthFake fake;
  std::string platform;
  AccountSettings settings;
  Endpoints endpoints{MakeApps()};
  AuthorizationFlow flow{vault, endpoints};
  Instant t0 = std::chrono::sys_days{std::chrono::year{2026} / 12 / 6} + std::chrono::hours{9};
};

TEST_CASE("Facebook Login keeps the Page token of the Page the settings name, which does not expire",
          "[oauth][meta]") {
  MetaBench bench(MetaOAuthFake::Server::kFacebook, "facebook_page", {{"page_id", "222"}});
  bench.fake.SetPages({{"111", "Acme Bakery", ""}, {"222", "Acme Cafe", ""}});
  auto done = bench.Connect();
  REQUIRE(done.has_value());
  auto stored = bench.Stored();
  CHECK(bench.fake.ValidFor(stored.grant.access_token, "222"));
  CHECK_FALSE(stored.grant.expires_at.has_value());
  CHECK(stored.grant.refresh_token.empty());
  CHECK_FALSE(Refreshable(stored.grant));
  CHECK(bench.fake.PageListsWithTokenInUrl() == 0);
  GrantKeeper keeper(bench.vault, bench.endpoints, nullptr);
  auto later = keeper.AccessToken("acme", "acme-meta", bench.t0 + days{400});
  REQUIRE(later.has_value());
  CHECK(**later == stored.grant.access_token);
}

TEST_CASE("Facebook Login picks the only Page, and refuses several without a page_id, naming them",
          "[oauth][meta]") {
  MetaBench bench(MetaOAuthFake::Server::kFacebook, "facebook_page", {});
  SECTION("the only one") {
    bench.fake.SetPages({{"333", "Solo Page", ""}});
    REQUIRE(bench.Connect().has_value());
    CHECK(bench.fake.ValidFor(bench.Stored().grant.access_token, "333"));
  }
  SECTION("several") {
    bench.fake.SetPages({{"111", "Acme Bakery", ""}, {"222", "Acme <Cafe>", ""}});
    auto done = bench.Connect();
    REQUIRE_FALSE(done.has_value());
    CHECK(done.error().code() == Code::kInvalidArgument);
    CHECK_THAT(done.error().message(), Catch::Contains("Acme Bakery (id 111)") &&
                                           Catch::Contains("Acme <Cafe> (id 222)") && Catch::Contains("page_id"));
    for (const auto& token : bench.fake.AllTokens()) CHECK(done.error().message().find(token) == std::string::npos);
    auto none = bench.vault.Load("acme", "acme-meta");
    REQUIRE(none.has_value());
    CHECK_FALSE(none->has_value());
  }
  SECTION("none at all") {
    auto done = bench.Connect();
    REQUIRE_FALSE(done.has_value());
    CHECK_THAT(done.error().message(), Catch::Contains("no Page"));
  }
  SECTION("a named Page the login did not grant") {
    bench.settings = {{"page_id", "999"}};
    bench.fake.SetPages({{"111", "Acme Bakery", ""}});
    auto done = bench.Connect();
    REQUIRE_FALSE(done.has_value());
    CHECK_THAT(done.error().message(), Catch::Contains("page_id 999") && Catch::Contains("Acme Bakery (id 111)"));
  }
}

TEST_CASE("Facebook Login reads every page of the login's Pages by cursor, never by the answer's next URL",
          "[oauth][meta]") {
  MetaBench bench(MetaOAuthFake::Server::kFacebook, "facebook_page", {{"page_id", "p-0237"}});
  std::vector<MetaOAuthFake::Page> many;
  for (int i = 0; i < 250; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "p-%04d", i);
    many.push_back({id, "Branch " + std::to_string(i), ""});
  }
  bench.fake.SetPages(many);
  auto done = bench.Connect();
  INFO((done ? std::string() : done.error().message()));
  REQUIRE(done.has_value());
  CHECK(bench.fake.ValidFor(bench.Stored().grant.access_token, "p-0237"));
  CHECK(bench.fake.PageLists() == 3);  // 100 + 100 + 50; the fake's next URL (a link-local address) never asked
  SECTION("a Page past what herald reads is reported as not granted") {
    many.resize(1200);
    for (int i = 250; i < 1200; ++i) many[i] = {"q-" + std::to_string(i), "Far " + std::to_string(i), ""};
    bench.fake.SetPages(many);
    bench.settings = {{"page_id", "q-1100"}};
    auto far = bench.Connect();
    REQUIRE_FALSE(far.has_value());
    CHECK_THAT(far.error().message(), Catch::Contains("page_id q-1100") && Catch::Contains("and 980 more"));
    CHECK(far.error().message().size() < 2000);
  }
}

TEST_CASE("Instagram keeps the token of the Page its account is linked to", "[oauth][meta]") {
  MetaBench bench(MetaOAuthFake::Server::kFacebook, "instagram", {{"user_id", "1784"}});
  bench.fake.SetPages({{"111", "Acme Bakery", "1999"}, {"222", "Acme Cafe", "1784"}});
  REQUIRE(bench.Connect().has_value());
  CHECK(bench.fake.ValidFor(bench.Stored().grant.access_token, "222"));
  bench.fake.SetPages({{"111", "Acme Bakery", ""}});
  auto refused = bench.Connect();
  REQUIRE_FALSE(refused.has_value());
  CHECK_THAT(refused.error().message(), Catch::Contains("Acme Bakery (id 111, no Instagram account)"));
}

TEST_CASE("Meta's token endpoint: a replayed code and a wrong app secret are told apart", "[oauth][meta]") {
  MetaBench bench(MetaOAuthFake::Server::kFacebook, "facebook_page", {});
  bench.fake.SetPages({{"333", "Solo Page", ""}});
  auto started = bench.flow.Start("acme", "acme-meta", "facebook_page", "mona", bench.t0);
  REQUIRE(started.has_value());
  auto redirect = herald::testing::XOAuthFake::Authorize(started->authorization_url);
  auto provider = bench.endpoints.For("acme", "acme-meta", "facebook_page", bench.t0);
  REQUIRE(provider.has_value());
  auto first = provider->ExchangeCode(redirect["code"], "", {}, bench.t0);
  REQUIRE(first.has_value());
  auto replay = provider->ExchangeCode(redirect["code"], "", {}, bench.t0);
  REQUIRE_FALSE(replay.has_value());
  CHECK(replay.error().code() == Code::kPermissionDenied);
  CHECK(replay.error().message().find(redirect["code"]) == std::string::npos);
  TokenEndpoint wrong(provider->provider(), std::string("not-the-secret"), connectors::HttpClient());
  auto refused = wrong.ExchangeCode("any-code", "", {}, bench.t0);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Code::kFailedPrecondition);
  CHECK(refused.error().message().find("not-the-secret") == std::string::npos);
  CHECK(refused.error().message().find(kSecret) == std::string::npos);
}

TEST_CASE("A Threads token is exchanged for 60 days, renewed with itself in its last 7, and a refused renewal "
          "needs a reconnect",
          "[oauth][meta][keeper]") {
  MetaBench bench(MetaOAuthFake::Server::kThreads, "threads", {{"user_id", "7001"}});
  bench.fake.SetUserId("7001");
  REQUIRE(bench.Connect().has_value());
  auto first = bench.Stored();
  REQUIRE(first.grant.expires_at.has_value());
  CHECK(*first.grant.expires_at == bench.t0 + 5184000s);
  CHECK(first.grant.refresh_token.empty());
  CHECK(Refreshable(first.grant));
  CHECK(bench.fake.ValidFor(first.grant.access_token));

  std::vector<std::string> lines;
  GrantKeeper keeper(bench.vault, bench.endpoints, [&](std::string_view l) { lines.emplace_back(l); });
  auto early = keeper.RefreshDue(bench.t0 + days{52});
  REQUIRE(early.has_value());
  CHECK(early->refreshed == 0);
  CHECK(bench.fake.Refreshes() == 0);

  Instant renewal = bench.t0 + days{53} + 1h;
  auto token = keeper.AccessToken("acme", "acme-meta", renewal);
  REQUIRE(token.has_value());
  CHECK(bench.fake.Refreshes() == 1);
  CHECK(**token != first.grant.access_token);
  CHECK(bench.fake.ValidFor(**token));
  CHECK_FALSE(bench.fake.ValidFor(first.grant.access_token));
  auto second = bench.Stored();
  CHECK(second.grant.access_token == **token);
  CHECK(*second.grant.expires_at == renewal + 5184000s);

  // Past 120 days from the start the first renewal's token is due again; the person removed the app meanwhile.
  bench.fake.RevokeAll();
  auto swept = keeper.RefreshDue(renewal + days{54});
  REQUIRE(swept.has_value());
  CHECK(swept->needs_reconnect == 1);
  CHECK(bench.fake.RefusedRefreshes() == 1);
  auto refused = keeper.AccessToken("acme", "acme-meta", renewal + days{54});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Code::kFailedPrecondition);
  CHECK_THAT(refused.error().message(), Catch::Contains("needs reconnecting") && Catch::Contains("code 190"));
  for (const auto& line : lines) {
    for (const auto& t : bench.fake.AllTokens()) CHECK(line.find(t) == std::string::npos);
    CHECK(line.find(kSecret) == std::string::npos);
  }

  bench.fake.SetUserId("9999");
  auto other_user = bench.Connect();
  REQUIRE_FALSE(other_user.has_value());
  CHECK(other_user.error().code() == Code::kInvalidArgument);
  CHECK_THAT(other_user.error().message(), Catch::Contains("user 9999"));
}

}  // namespace
}  // namespace herald::oauth
