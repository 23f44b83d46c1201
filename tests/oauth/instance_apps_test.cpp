// InstanceApps against the fake Mastodon instance on a real SQLite store:
// herald's app is registered once per instance and kept sealed, registered
// anew when the redirect URI or the scopes change, and a refusal is typed.
#include <catch2/catch.hpp>

#include "oauth/instance_apps.h"
#include "tests/connectors/fakes/mastodon_fake.h"
#include "tests/oauth/oauth_testing.h"

namespace herald::oauth {
namespace {

using testing::OAuthBench;

Provider MastodonProvider(const std::string& redirect) {
  policies::OAuthApp app;
  app.redirect_uri = redirect;
  app.client_name = "herald test";
  auto provider = ProviderFor("mastodon", app);
  REQUIRE(provider.has_value());
  REQUIRE(provider->per_instance);
  return *provider;
}

TEST_CASE("An instance origin is scheme, host and port of the account base_url", "[oauth][instance]") {
  CHECK(InstanceOrigin("https://Mastodon.Social/").value() == "https://mastodon.social");
  CHECK(InstanceOrigin("https://example.net:8443/api").value() == "https://example.net:8443");
  CHECK(InstanceOrigin("http://127.0.0.1:9000").value() == "http://127.0.0.1:9000");
  CHECK(InstanceOrigin("http://10.0.0.8/").error().code() == Code::kInvalidArgument);
  CHECK(InstanceOrigin("https://user@evil.example/").error().code() == Code::kInvalidArgument);
  CHECK(InstanceOrigin("mastodon.social").error().code() == Code::kInvalidArgument);
}

TEST_CASE("The herald app is registered on an instance once, and kept sealed", "[oauth][instance]") {
  OAuthBench bench;
  herald::testing::MastodonFake instance;
  const std::string origin = instance.base_url();
  InstanceApps apps(MastodonProvider(OAuthBench::kRedirect), bench.vault, connectors::HttpClient());
  auto first = apps.EndpointOn(origin, bench.t0);
  REQUIRE(first.has_value());
  CHECK(first->provider().authorize_url == origin + "/oauth/authorize");
  CHECK(first->provider().token_url == origin + "/oauth/token");
  CHECK(first->provider().client_id.starts_with("cid-"));
  auto again = apps.EndpointOn(origin, bench.t0);
  REQUIRE(again.has_value());
  CHECK(again->provider().client_id == first->provider().client_id);
  CHECK(instance.AppRegistrations() == 1);

  // Another InstanceApps on the same store (a restarted daemon) finds it.
  InstanceApps restarted(MastodonProvider(OAuthBench::kRedirect), bench.vault, connectors::HttpClient());
  REQUIRE(restarted.EndpointOn(origin, bench.t0).has_value());
  CHECK(instance.AppRegistrations() == 1);

  // The client secret is in the store only sealed.
  auto rows = bench.store->ListGrants();
  REQUIRE(rows.has_value());
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].organization == std::string(kInstanceAppsOrganization));
  for (const auto& secret : instance.OAuthSecrets()) CHECK((*rows)[0].sealed.find(secret) == std::string::npos);

  SECTION("a new redirect URI registers a new app") {
    InstanceApps moved(MastodonProvider("https://elsewhere.example.org/v1/oauth/callback"), bench.vault,
                       connectors::HttpClient());
    auto fresh = moved.EndpointOn(origin, bench.t0);
    REQUIRE(fresh.has_value());
    CHECK(fresh->provider().client_id != first->provider().client_id);
    CHECK(instance.AppRegistrations() == 2);
    CHECK(bench.store->ListGrants()->size() == 1);  // replaced, not added
  }
}

TEST_CASE("An instance that refuses or cannot be reached is told apart", "[oauth][instance]") {
  OAuthBench bench;
  herald::testing::MastodonFake instance;
  SECTION("refused: no redirect URI") {
    InstanceApps apps(MastodonProvider(""), bench.vault, connectors::HttpClient());
    auto r = apps.EndpointOn(instance.base_url(), bench.t0);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == Code::kFailedPrecondition);
    CHECK_THAT(r.error().message(), Catch::Contains("HTTP 422"));
  }
  SECTION("unreachable") {
    InstanceApps apps(MastodonProvider(OAuthBench::kRedirect), bench.vault, connectors::HttpClient());
    auto r = apps.EndpointOn("http://127.0.0.1:1", bench.t0);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == Code::kUnavailable);
  }
  CHECK(bench.store->ListGrants()->empty());
}

}  // namespace
}  // namespace herald::oauth
