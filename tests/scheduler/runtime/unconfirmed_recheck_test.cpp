// Re-checks of unconfirmed posts: a real Service over a real SQLite store, a
// fake clock moved by hand (no sleeps), and a connector whose Lookup answers
// from a script: nothing at first, then published, absent, or never.
#include "scheduler/runtime/unconfirmed_recheck.h"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>

#include "policies/loader.h"
#include "scheduler/runtime/runtime.h"
#include "tests/support/fake_clock.h"
#include "tests/support/scripted_connector.h"

namespace herald::runtime {
namespace {

using namespace std::chrono;
using connectors::PublishResult;
using testing::FakeClock;
using testing::ScriptedConnector;
using Kind = connectors::PublishResult::Kind;

Instant At(const char* s) { return *ParseRfc3339(s); }

const Caller kMona{"acme", "mona", Role::kManager};

struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/herald-recheck-XXXXXX";
    dir = mkdtemp(tmpl);
    auto loaded = policies::LoadPolicy(
        "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n    - id: acme-blog\n"
        "      platform: mastodon\n      connector: { type: file }\n"
        "frequency:\n  default:\n    min_spacing: 0s\n  max_delay: 48h\n  missed_after: 30m\n"
        "approval: { required: false }\n",
        "acme.yaml");
    REQUIRE(loaded);
    policy = *loaded;
    Open();
  }
  ~Fixture() {
    service.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  // (Re)opens the store and a fresh Service on it: a restart.
  void Open() {
    service.reset();
    store.reset();
    auto opened = storage::OpenStore("sqlite:" + dir + "/h.db");
    REQUIRE(opened);
    store = std::move(*opened);
    service = std::make_unique<Service>(*store, clock, std::vector<policies::Policy>{policy}, [] {});
    REQUIRE(service->Start());
  }
  // A post due now, claimed and settled with no answer: unconfirmed.
  Post Unconfirmed(bool answers_lookup = true, PublishResult outcome = {Kind::kUnknown, {}, {}, std::nullopt,
                                                                         "mastodon: no answer"}) {
    CreatePostRequest request;
    request.account = "acme-blog";
    request.text = "maybe said " + std::to_string(++posts);
    auto created = service->CreatePost(kMona, request);
    REQUIRE(created);
    REQUIRE(created->post.state == PostState::kScheduled);
    auto claimed = service->ClaimDue(clock.Now());
    REQUIRE(claimed);
    REQUIRE(claimed->size() == 1);
    auto settled = service->Settle(created->post.id, outcome, answers_lookup);
    REQUIRE(settled);
    REQUIRE(settled->state == PostState::kUnconfirmed);
    return *settled;
  }
  Post Get(int64_t id) {
    auto p = service->GetPost(kMona, id);
    REQUIRE(p);
    return *p;
  }
  // Claims what is due now and checks each; returns how many were checked.
  int RunDue(UnconfirmedRecheck& recheck) {
    auto due = recheck.ClaimDue();
    REQUIRE(due);
    for (const Post& p : *due) REQUIRE(recheck.Check(p));
    return static_cast<int>(due->size());
  }
  std::vector<nlohmann::json> Rechecks(int64_t id) {
    storage::AuditQuery q;
    q.organization = "acme";
    q.post_id = id;
    auto entries = service->Audit(kMona, q);
    REQUIRE(entries);
    std::vector<nlohmann::json> out;
    for (const auto& e : *entries) {
      if (e.action == "recheck") out.push_back(nlohmann::json::parse(e.detail));
    }
    return out;
  }
  int64_t Count(RecheckOutcome outcome) {
    auto m = service->CurrentMetrics();
    auto it = m.rechecks_by_outcome.find(outcome);
    return it == m.rechecks_by_outcome.end() ? 0 : it->second;
  }

  std::string dir;
  FakeClock clock{At("2026-12-01T09:00:00Z")};
  policies::Policy policy;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Service> service;
  int posts = 0;
};

TEST_CASE("Recheck: an unconfirmed post is asked about on its schedule until the platform shows it", "[recheck]") {
  Fixture f;
  ScriptedConnector connector;
  UnconfirmedRecheck recheck(*f.service, f.clock, [&](const Post&) { return ConnectorFor{&connector, "mastodon"}; });
  Post p = f.Unconfirmed();
  CHECK(p.unconfirmed_since == At("2026-12-01T09:00:00Z"));
  CHECK(p.recheck_at == At("2026-12-01T09:01:00Z"));
  CHECK(p.rechecks == 0);
  CHECK_THAT(p.failure, Catch::Contains("mastodon: no answer") && Catch::Contains("asks the platform again at 2026-12-01T09:01:00Z"));

  f.clock.Set(At("2026-12-01T09:00:59Z"));
  CHECK(f.RunDue(recheck) == 0);  // not due yet
  f.clock.Set(At("2026-12-01T09:01:00Z"));
  connector.Then(std::nullopt);
  CHECK(f.RunDue(recheck) == 1);
  CHECK(connector.last().post_id == p.id);
  CHECK(connector.last().idempotency_key == "acme-" + std::to_string(p.id));
  Post after_one = f.Get(p.id);
  CHECK(after_one.state == PostState::kUnconfirmed);
  CHECK(after_one.rechecks == 1);
  CHECK(after_one.recheck_at == At("2026-12-01T09:05:00Z"));
  CHECK_THAT(after_one.failure, Catch::Contains("asked once") && Catch::Contains("asks again at 2026-12-01T09:05:00Z"));
  CHECK(f.RunDue(recheck) == 0);  // asked already

  SECTION("then published: the remote id and url, as after a crash") {
    f.clock.Set(At("2026-12-01T09:05:00Z"));
    connector.Then(PublishResult{Kind::kPublished, "109", "https://mastodon.test/@acme/109", std::nullopt, "found"});
    CHECK(f.RunDue(recheck) == 1);
    Post published = f.Get(p.id);
    CHECK(published.state == PostState::kPublished);
    CHECK(published.remote_id == "109");
    CHECK(published.remote_url == "https://mastodon.test/@acme/109");
    CHECK(published.published_at == At("2026-12-01T09:05:00Z"));
    CHECK(published.failure.empty());
    CHECK_FALSE(published.recheck_at);
    auto audit = f.Rechecks(p.id);
    REQUIRE(audit.size() == 2);
    CHECK(audit[0]["outcome"] == "unknown");
    CHECK(audit[0]["check"] == 1);
    CHECK(audit[0]["next_check"] == "2026-12-01T09:05:00Z");
    CHECK(audit[1]["outcome"] == "published");
    CHECK(audit[1]["check"] == 2);
    CHECK(audit[1]["remote_id"] == "109");
    CHECK(f.Count(RecheckOutcome::kUnknown) == 1);
    CHECK(f.Count(RecheckOutcome::kPublished) == 1);
    f.clock.Set(At("2026-12-02T12:00:00Z"));
    CHECK(f.RunDue(recheck) == 0);
  }
  SECTION("then certainly absent: planned again, from now, within the rules") {
    f.clock.Set(At("2026-12-01T09:05:00Z"));
    connector.Then(PublishResult{Kind::kFailed, {}, {}, std::nullopt, "mastodon: no such status"});
    CHECK(f.RunDue(recheck) == 1);
    Post again = f.Get(p.id);
    CHECK(again.state == PostState::kScheduled);
    REQUIRE(again.planned_at);
    CHECK(*again.planned_at >= At("2026-12-01T09:05:00Z"));
    REQUIRE_FALSE(again.reasons.empty());
    CHECK(again.reasons[0].rule == "recheck");
    CHECK_THAT(again.reasons[0].detail, Catch::Contains("mastodon: no such status"));
    CHECK_FALSE(again.unconfirmed_since);
    CHECK_FALSE(again.recheck_at);
    auto claimed = f.service->ClaimDue(*again.planned_at);
    REQUIRE(claimed);
    CHECK(claimed->size() == 1);  // it goes out again
    CHECK(f.Rechecks(p.id).back()["outcome"] == "absent");
    CHECK(f.Count(RecheckOutcome::kAbsent) == 1);
  }
  SECTION("then absent, but the platform's resend window is over: failed, saying why") {
    f.clock.Set(At("2026-12-01T09:05:00Z"));
    PublishResult absent{Kind::kFailed, {}, {}, std::nullopt, "mastodon: the key still dedupes"};
    absent.resend_by = At("2026-12-01T09:04:00Z");
    connector.Then(absent);
    CHECK(f.RunDue(recheck) == 1);
    Post failed = f.Get(p.id);
    CHECK(failed.state == PostState::kFailed);
    CHECK_THAT(failed.failure, Catch::Contains("safe to send again until 2026-12-01T09:04:00Z") &&
                                   Catch::Contains("the plan's next slot is 2026-12-01T09:05:00Z") &&
                                   Catch::Contains("it may be on the platform: look for it there"));
  }
  SECTION("then absent after missed_after: missed, as a post found absent after a crash") {
    f.clock.Set(At("2026-12-01T10:00:00Z"));
    connector.Then(PublishResult{Kind::kFailed, {}, {}, std::nullopt, "mastodon: no such status"});
    CHECK(f.RunDue(recheck) == 1);
    Post missed = f.Get(p.id);
    CHECK(missed.state == PostState::kMissed);
    CHECK_THAT(missed.failure, Catch::Contains("missed_after 30m"));
  }
  SECTION("never: every check of the schedule, then settled for good") {
    for (const char* at : {"2026-12-01T09:05:00Z", "2026-12-01T09:15:00Z", "2026-12-01T10:00:00Z", "2026-12-01T15:00:00Z",
                           "2026-12-01T21:00:00Z", "2026-12-02T09:00:00Z"}) {
      f.clock.Set(At(at));
      INFO(at);
      CHECK(f.RunDue(recheck) == 1);
    }
    Post settled = f.Get(p.id);
    CHECK(settled.state == PostState::kUnconfirmed);
    CHECK(settled.rechecks == 7);
    CHECK_FALSE(settled.recheck_at);
    CHECK_THAT(settled.failure, Catch::Contains("asked the platform 7 times over 1d") && Catch::Contains("no longer asks") &&
                                    Catch::Contains("look for the post on the platform"));
    auto audit = f.Rechecks(p.id);
    REQUIRE(audit.size() == 7);
    CHECK(audit.back()["outcome"] == "gave_up");
    CHECK(f.Count(RecheckOutcome::kUnknown) == 6);
    CHECK(f.Count(RecheckOutcome::kGaveUp) == 1);
    f.clock.Set(At("2026-12-09T09:00:00Z"));
    CHECK(f.RunDue(recheck) == 0);
    CHECK(connector.lookups() == 7);
  }
  SECTION("a daemon down for hours asks once, then goes on from the post's age") {
    f.clock.Set(At("2026-12-01T13:30:00Z"));
    CHECK(f.RunDue(recheck) == 1);
    CHECK(f.Get(p.id).recheck_at == At("2026-12-01T15:00:00Z"));
  }
  SECTION("the next check and the count survive a restart") {
    f.Open();
    Post reloaded = f.Get(p.id);
    CHECK(reloaded.rechecks == 1);
    CHECK(reloaded.recheck_at == At("2026-12-01T09:05:00Z"));
    CHECK(reloaded.unconfirmed_since == At("2026-12-01T09:00:00Z"));
    UnconfirmedRecheck again(*f.service, f.clock, [&](const Post&) { return ConnectorFor{&connector, "mastodon"}; });
    f.clock.Set(At("2026-12-01T09:04:59Z"));
    CHECK(f.RunDue(again) == 0);
    f.clock.Set(At("2026-12-01T09:05:00Z"));
    connector.Then(PublishResult{Kind::kPublished, "110", "https://mastodon.test/@acme/110", std::nullopt, "found"});
    CHECK(f.RunDue(again) == 1);
    CHECK(f.Get(p.id).state == PostState::kPublished);
    CHECK(f.Rechecks(p.id).size() == 2);
  }
}

TEST_CASE("Recheck: a claimed check is not claimed again until its lease ends, and a stale answer is dropped", "[recheck]") {
  Fixture f;
  ScriptedConnector connector;
  UnconfirmedRecheck recheck(*f.service, f.clock, [&](const Post&) { return ConnectorFor{&connector, "mastodon"}; });
  Post p = f.Unconfirmed();
  f.clock.Set(At("2026-12-01T09:01:00Z"));
  auto first = recheck.ClaimDue();
  REQUIRE(first);
  REQUIRE(first->size() == 1);
  auto second = recheck.ClaimDue();
  REQUIRE(second);
  CHECK(second->empty());  // in flight: nobody else asks
  // The first check never came back (its process hung or died): after the
  // lease the check is due again, and the late answer no longer counts.
  f.clock.Set(At("2026-12-01T09:06:00Z"));
  auto retaken = recheck.ClaimDue();
  REQUIRE(retaken);
  REQUIRE(retaken->size() == 1);
  connector.Then(PublishResult{Kind::kPublished, "1", "https://x.test/1", std::nullopt, "found"});
  auto stale = recheck.Check(first->front());
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code() == Code::kFailedPrecondition);
  connector.Then(std::nullopt);
  REQUIRE(recheck.Check(retaken->front()));
  Post after = f.Get(p.id);
  CHECK(after.state == PostState::kUnconfirmed);
  CHECK(after.rechecks == 1);
  CHECK(after.recheck_at == At("2026-12-01T09:15:00Z"));
}

TEST_CASE("Recheck: a paused account is not asked before its pause ends", "[recheck]") {
  Fixture f;
  ScriptedConnector connector;
  UnconfirmedRecheck recheck(*f.service, f.clock, [&](const Post&) { return ConnectorFor{&connector, "mastodon"}; });
  Post p = f.Unconfirmed();
  // Another post of the account meets the platform's rate limit until 10:00.
  PublishResult limited{Kind::kRetryLater, {}, {}, At("2026-12-01T10:00:00Z"), "mastodon: 429"};
  limited.hold = connectors::RateLimitHold{At("2026-12-01T10:00:00Z"), "mastodon: 0 of 300 left"};
  CreatePostRequest request;
  request.account = "acme-blog";
  request.text = "limited";
  auto created = f.service->CreatePost(kMona, request);
  REQUIRE(created);
  REQUIRE(f.service->ClaimDue(f.clock.Now()));
  REQUIRE(f.service->Settle(created->post.id, limited));
  f.clock.Set(At("2026-12-01T09:30:00Z"));
  CHECK(f.RunDue(recheck) == 0);
  CHECK(connector.lookups() == 0);
  f.clock.Set(At("2026-12-01T10:00:00Z"));
  CHECK(f.RunDue(recheck) == 1);
  CHECK(connector.lookups() == 1);
  CHECK(f.Get(p.id).rechecks == 1);
}

TEST_CASE("Recheck: a connector that can never answer is not asked, and the reason says so", "[recheck]") {
  Fixture f;
  ScriptedConnector connector(/*answers=*/false);
  UnconfirmedRecheck recheck(*f.service, f.clock, [&](const Post&) { return ConnectorFor{&connector, "telegram"}; });
  Post p = f.Unconfirmed(/*answers_lookup=*/false);
  CHECK_FALSE(p.recheck_at);
  CHECK(p.unconfirmed_since == At("2026-12-01T09:00:00Z"));
  CHECK_THAT(p.failure, Catch::Contains("has no way to find a post again, so herald will not ask later"));
  f.clock.Set(At("2026-12-03T09:00:00Z"));
  CHECK(f.RunDue(recheck) == 0);
  CHECK(connector.lookups() == 0);
}

TEST_CASE("Recheck: the runtime asks on its pool, off the event loop", "[recheck][runtime]") {
  Fixture f;
  ScriptedConnector connector;
  Post p = f.Unconfirmed();
  f.clock.Set(At("2026-12-01T09:01:00Z"));
  connector.Then(PublishResult{Kind::kPublished, "7", "https://mastodon.test/@acme/7", std::nullopt, "found"});
  boost::asio::io_context io;
  RuntimeOptions options;
  options.heartbeat = milliseconds{10};
  options.recheck_every = milliseconds{0};
  Runtime runtime(io, *f.service, f.clock, [&](const Post&) { return ConnectorFor{&connector, "mastodon"}; }, options);
  runtime.Start();
  // Ticks until the check has settled (each tick is a timer of 10 ms at most).
  for (int i = 0; i < 3000 && f.Get(p.id).state == PostState::kUnconfirmed; ++i) io.run_for(milliseconds{10});
  CHECK(f.Get(p.id).state == PostState::kPublished);
  CHECK(f.Get(p.id).remote_id == "7");
  bool stopped = false;
  runtime.Stop(milliseconds{5000}, [&] {
    stopped = true;
    io.stop();
  });
  io.run();
  CHECK(stopped);
}

}  // namespace
}  // namespace herald::runtime
