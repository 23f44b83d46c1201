// Re-checks on a PostgreSQL database shared by two daemons (two Services on
// two store connections, as two processes would have): each due check is
// claimed by exactly one of them. Needs HERALD_TEST_POSTGRES
// (scripts/with-postgres).
#include <catch2/catch.hpp>

#include <future>
#include <set>

#include "policies/loader.h"
#include "scheduler/runtime/unconfirmed_recheck.h"
#include "tests/support/fake_clock.h"
#include "tests/support/pg_database.h"
#include "tests/support/scripted_connector.h"

namespace herald::runtime {
namespace {

using testing::FakeClock;
using testing::ScriptedConnector;
using Kind = connectors::PublishResult::Kind;

Instant At(const char* s) { return *ParseRfc3339(s); }

const Caller kMona{"acme", "mona", Role::kManager};
TEST_CASE("Recheck: two daemons on one PostgreSQL database never ask about the same post at once", "[recheck][postgres]") {
  const std::string url = testing::FreshPostgresDatabase("herald_recheck");
  FakeClock clock{At("2026-12-01T09:00:00Z")};
  auto policy = policies::LoadPolicy(
      "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n    - id: acme-blog\n"
      "      platform: mastodon\n      connector: { type: file }\n"
      "frequency:\n  default:\n    min_spacing: 0s\n  max_delay: 48h\n  missed_after: 30m\n"
      "approval: { required: false }\n",
      "acme.yaml");
  REQUIRE(policy);
  auto store_a = storage::OpenStore(url);
  auto store_b = storage::OpenStore(url);
  REQUIRE(store_a);
  REQUIRE(store_b);
  ServiceOptions options_a, options_b;
  options_a.process = "herald-a";
  options_b.process = "herald-b";
  Service a(**store_a, clock, {*policy}, [] {}, options_a);
  REQUIRE(a.Start());
  // Five posts left unconfirmed by daemon a.
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    CreatePostRequest request;
    request.account = "acme-blog";
    request.text = "maybe said " + std::to_string(i);
    auto created = a.CreatePost(kMona, request);
    REQUIRE(created);
    ids.push_back(created->post.id);
  }
  auto claimed = a.ClaimDue(clock.Now());
  REQUIRE(claimed);
  REQUIRE(claimed->size() == 5);
  for (int64_t id : ids) REQUIRE(a.Settle(id, {Kind::kUnknown, {}, {}, std::nullopt, "no answer"}));
  Service b(**store_b, clock, {*policy}, [] {}, options_b);
  REQUIRE(b.Start());

  ScriptedConnector connector;
  auto lookup = [&](const Post&) { return ConnectorFor{&connector, "mastodon"}; };
  UnconfirmedRecheck recheck_a(a, clock, lookup), recheck_b(b, clock, lookup);
  clock.Set(At("2026-12-01T09:01:00Z"));
  // Both claim at the same moment: each post goes to exactly one of them.
  std::vector<Post> got_a, got_b;
  {
    auto claim_a = std::async(std::launch::async, [&] { return recheck_a.ClaimDue(); });
    auto claim_b = std::async(std::launch::async, [&] { return recheck_b.ClaimDue(); });
    auto ra = claim_a.get();
    auto rb = claim_b.get();
    REQUIRE(ra);
    REQUIRE(rb);
    got_a = *ra;
    got_b = *rb;
  }
  std::set<int64_t> seen;
  for (const Post& p : got_a) CHECK(seen.insert(p.id).second);
  for (const Post& p : got_b) CHECK(seen.insert(p.id).second);
  CHECK(seen.size() == 5);
  // Settled by whoever claimed; the other daemon sees the result and does not
  // ask again before the next age.
  for (const Post& p : got_a) REQUIRE(recheck_a.Check(p));
  for (const Post& p : got_b) REQUIRE(recheck_b.Check(p));
  CHECK(connector.lookups() == 5);
  auto again_a = recheck_a.ClaimDue();
  auto again_b = recheck_b.ClaimDue();
  REQUIRE(again_a);
  REQUIRE(again_b);
  CHECK(again_a->empty());
  CHECK(again_b->empty());
  for (int64_t id : ids) {
    auto p = b.GetPost(kMona, id);
    REQUIRE(p);
    CHECK(p->rechecks == 1);
    CHECK(p->recheck_at == At("2026-12-01T09:05:00Z"));
  }
}

}  // namespace
}  // namespace herald::runtime
