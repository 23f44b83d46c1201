// GrantKeeper against the fake X authorization server on a real SQLite store:
// refreshes ahead of expiry (a tenth of the lifetime, at most ten minutes),
// the rotated refresh token stored before the new access token is handed out,
// one refresh when many publishes ask at once, and a refused refresh marking
// the account "needs reconnect" until a new connect.
#include "oauth/grant_keeper.h"

#include <catch2/catch.hpp>

#include <thread>

#include "tests/oauth/oauth_testing.h"

namespace herald::oauth {
namespace {

using namespace std::chrono_literals;
using testing::OAuthBench;

TEST_CASE("A token is due a tenth of its lifetime before expiry, at most ten minutes before, or a quarter of a "
          "day-long one, at most 7 days before",
          "[oauth][keeper]") {
  Instant issued = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
  SECTION("two hours: ten minutes before") {
    Instant expires = issued + 2h;
    CHECK_FALSE(GrantKeeper::Due(issued, expires, expires - 10min - 1s));
    CHECK(GrantKeeper::Due(issued, expires, expires - 10min));
  }
  SECTION("100 seconds: 10 seconds before") {
    Instant expires = issued + 100s;
    CHECK_FALSE(GrantKeeper::Due(issued, expires, issued + 89s));
    CHECK(GrantKeeper::Due(issued, expires, issued + 90s));
  }
  SECTION("expired already") { CHECK(GrantKeeper::Due(issued, issued + 1h, issued + 2h)); }
  SECTION("60 days (LinkedIn, long-lived Meta tokens): 7 days before") {
    Instant expires = issued + std::chrono::days{60};
    CHECK_FALSE(GrantKeeper::Due(issued, expires, expires - std::chrono::days{7} - 1s));
    CHECK(GrantKeeper::Due(issued, expires, expires - std::chrono::days{7}));
  }
  SECTION("two days: the last quarter, 12 hours before") {
    Instant expires = issued + std::chrono::days{2};
    CHECK_FALSE(GrantKeeper::Due(issued, expires, expires - 12h - 1s));
    CHECK(GrantKeeper::Due(issued, expires, expires - 12h));
  }
}

TEST_CASE("The keeper hands out the stored token, and refreshes it once it is due", "[oauth][keeper]") {
  OAuthBench bench;
  bench.fake.SetExpiresIn(100);
  bench.Connect("acme", "acme-x");
  std::vector<std::string> lines;
  GrantKeeper keeper(bench.vault, bench.endpoints, [&](std::string_view l) { lines.emplace_back(l); });
  auto first = bench.vault.Load("acme", "acme-x");
  REQUIRE(first.has_value());
  const std::string first_access = (*first)->grant.access_token;
  const std::string first_refresh = (*first)->grant.refresh_token;

  auto early = keeper.AccessToken("acme", "acme-x", bench.t0 + 50s);
  REQUIRE(early.has_value());
  CHECK(**early == first_access);
  CHECK(bench.fake.Refreshes() == 0);

  auto due = keeper.AccessToken("acme", "acme-x", bench.t0 + 95s);
  REQUIRE(due.has_value());
  CHECK(**due != first_access);
  CHECK(bench.fake.ValidAccess(**due));
  CHECK(bench.fake.Refreshes() == 1);
  // Stored before it was handed out: the store has the rotated refresh token.
  auto stored = bench.vault.Load("acme", "acme-x");
  REQUIRE(stored.has_value());
  CHECK((*stored)->grant.access_token == **due);
  CHECK((*stored)->grant.refresh_token != first_refresh);
  CHECK((*stored)->grant.expires_at == bench.t0 + 95s + 100s);
  // Not due again right after.
  auto next = keeper.AccessToken("acme", "acme-x", bench.t0 + 96s);
  REQUIRE(next.has_value());
  CHECK(**next == **due);
  CHECK(bench.fake.Refreshes() == 1);
  REQUIRE_FALSE(lines.empty());
  for (const auto& line : lines)
    for (const auto& token : bench.fake.AllTokens()) CHECK(line.find(token) == std::string::npos);
}

TEST_CASE("An account without a grant has no token from the keeper", "[oauth][keeper]") {
  OAuthBench bench;
  GrantKeeper keeper(bench.vault, bench.endpoints, nullptr);
  auto none = keeper.AccessToken("acme", "acme-static", bench.t0);
  REQUIRE(none.has_value());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("Many publishes asking at once for a due token cause one refresh", "[oauth][keeper]") {
  OAuthBench bench;
  bench.fake.SetExpiresIn(100);
  bench.Connect("acme", "acme-x");
  GrantKeeper keeper(bench.vault, bench.endpoints, nullptr);
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] {
      auto t = keeper.AccessToken("acme", "acme-x", bench.t0 + 95s);
      if (t && *t) got[i] = **t;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(bench.fake.Refreshes() == 1);
  for (const auto& token : got) CHECK(token == got.front());
  CHECK(bench.fake.ValidAccess(got.front()));
}

TEST_CASE("The sweep refreshes due grants of idle accounts and leaves the others", "[oauth][keeper]") {
  OAuthBench bench;
  bench.fake.SetExpiresIn(100);
  bench.Connect("acme", "acme-x");
  bench.fake.SetExpiresIn(7200);
  bench.Connect("globex", "globex-x");
  GrantKeeper keeper(bench.vault, bench.endpoints, nullptr);
  auto swept = keeper.RefreshDue(bench.t0 + 95s);
  REQUIRE(swept.has_value());
  CHECK(swept->refreshed == 1);
  CHECK(swept->failed == 0);
  CHECK(bench.fake.Refreshes() == 1);
  auto acme = bench.store->FindGrant("acme", "acme-x");
  auto globex = bench.store->FindGrant("globex", "globex-x");
  REQUIRE((acme && *acme && globex && *globex));
  CHECK((*acme)->version == 2);
  CHECK((*globex)->version == 1);
}

TEST_CASE("A refused refresh marks the account needs reconnect, once, until it is connected again",
          "[oauth][keeper]") {
  OAuthBench bench;
  bench.fake.SetExpiresIn(100);
  bench.Connect("acme", "acme-x");
  GrantKeeper keeper(bench.vault, bench.endpoints, nullptr);
  bench.fake.RevokeAll();
  auto refused = keeper.AccessToken("acme", "acme-x", bench.t0 + 95s);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == Code::kFailedPrecondition);
  CHECK_THAT(refused.error().message(), Catch::Contains("needs reconnecting"));
  CHECK_THAT(refused.error().message(), Catch::Contains("POST /v1/accounts/acme-x/connect"));
  auto stored = bench.store->FindGrant("acme", "acme-x");
  REQUIRE((stored && *stored));
  CHECK_THAT((*stored)->needs_reconnect, Catch::Contains("invalid_request"));
  for (const auto& token : bench.fake.AllTokens()) CHECK((*stored)->needs_reconnect.find(token) == std::string::npos);

  // Asked again (a publish, a sweep): the platform is not asked again.
  CHECK_FALSE(keeper.AccessToken("acme", "acme-x", bench.t0 + 96s).has_value());
  auto swept = keeper.RefreshDue(bench.t0 + 97s);
  REQUIRE(swept.has_value());
  CHECK(swept->refreshed == 0);
  CHECK(bench.fake.RefusedRefreshes() == 1);
  // Told once: account.credentials_broken, with why and no token.
  auto events = bench.store->ListEvents({"acme", EventType::kAccountCredentialsBroken, std::nullopt, 0, 10});
  REQUIRE(events.has_value());
  REQUIRE(events->size() == 1);
  CHECK_THAT(events->at(0).payload, Catch::Contains("\"rule\":\"needs_reconnect\""));
  CHECK_THAT(events->at(0).payload, Catch::Contains("acme-x"));
  for (const auto& token : bench.fake.AllTokens()) CHECK(events->at(0).payload.find(token) == std::string::npos);

  bench.fake.SetExpiresIn(7200);
  bench.Connect("acme", "acme-x");
  auto back = keeper.AccessToken("acme", "acme-x", bench.t0 + 98s);
  REQUIRE(back.has_value());
  CHECK(**back == bench.fake.LastAccessToken());
  auto cleared = bench.store->FindGrant("acme", "acme-x");
  REQUIRE((cleared && *cleared));
  CHECK((*cleared)->needs_reconnect.empty());
}

TEST_CASE("A refresh that fails for a while keeps handing out the token that still works", "[oauth][keeper]") {
  OAuthBench bench;
  bench.fake.SetExpiresIn(100);
  bench.Connect("acme", "acme-x");
  GrantKeeper keeper(bench.vault, bench.endpoints, nullptr);
  const std::string before = bench.fake.LastAccessToken();
  bench.fake.server().FailNext({.status = 503, .body = R"({"error":"temporarily_unavailable"})"});
  auto still = keeper.AccessToken("acme", "acme-x", bench.t0 + 95s);
  REQUIRE(still.has_value());
  CHECK(**still == before);
  bench.fake.server().FailNext({.status = 503, .body = R"({"error":"temporarily_unavailable"})"});
  auto expired = keeper.AccessToken("acme", "acme-x", bench.t0 + 101s);
  REQUIRE_FALSE(expired.has_value());
  CHECK(expired.error().code() == Code::kUnavailable);
  auto stored = bench.store->FindGrant("acme", "acme-x");
  REQUIRE((stored && *stored));
  CHECK((*stored)->needs_reconnect.empty());
}

}  // namespace
}  // namespace herald::oauth
