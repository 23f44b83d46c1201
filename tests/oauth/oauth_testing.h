// What the OAuth tests share: a real SQLite store in a temporary folder, a key
// ring, the fake X authorization server and the flow over them.
#pragma once

#include <catch2/catch.hpp>

#include <memory>

#include "oauth/authorization_flow.h"
#include "secrets/grant_vault.h"
#include "storage/store.h"
#include "tests/connectors/fakes/x_oauth_fake.h"
#include "tests/storage/store_testing.h"

namespace herald::oauth::testing {

inline secrets::KeyRing TestRing() {
  auto ring = secrets::KeyRing::Make("k1", {{"k1", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"}});
  REQUIRE(ring.has_value());
  return *ring;
}

inline std::unique_ptr<storage::Store> OpenSqlite(const std::string& dir) {
  auto store = storage::OpenStore("sqlite:" + dir + "/herald.db");
  REQUIRE(store.has_value());
  return std::move(*store);
}

struct OAuthBench {
  static constexpr const char* kRedirect = "https://herald.example.org/v1/oauth/callback";
  static constexpr const char* kClientId = "herald-client";
  static constexpr const char* kClientSecret = "herald-client-secret-31f2";

  storage::testing::TempDir dir;
  std::unique_ptr<storage::Store> store = OpenSqlite(dir.path());
  secrets::GrantVault vault{*store, TestRing()};
  herald::testing::XOAuthFake fake{kClientId, kClientSecret};
  Endpoints endpoints{MakeApps()};
  AuthorizationFlow flow{vault, endpoints};
  Instant t0 = std::chrono::sys_days{std::chrono::year{2026} / 12 / 6} + std::chrono::hours{9};

  Apps MakeApps() {
    policies::OAuthApp app{kClientId, {}, kRedirect, {}, fake.authorize_url(), fake.token_url()};
    auto provider = ProviderFor("x", app);
    REQUIRE(provider.has_value());
    Apps out;
    out.emplace("x", TokenEndpoint(*provider, std::string(kClientSecret), connectors::HttpClient()));
    return out;
  }

  // Connects `account` of `organization` through the fake, at t0.
  void Connect(const std::string& organization, const std::string& account) {
    auto started = flow.Start(organization, account, "x", "alice", t0);
    REQUIRE(started.has_value());
    auto redirect = herald::testing::XOAuthFake::Authorize(started->authorization_url);
    REQUIRE(redirect.contains("code"));
    auto done = flow.Complete(redirect["code"], redirect["state"], "", t0);
    REQUIRE(done.has_value());
  }
};

}  // namespace herald::oauth::testing
