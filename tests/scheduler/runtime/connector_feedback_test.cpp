// What the Service does with what connectors report, against a real connector
// (mastodon) talking HTTP to a fake instance, a real SQLite store and a fake
// clock: a 429 with a reset pauses the account and moves its posts past the
// reset, with reasons, and nothing reaches the platform before it; repeated
// failures open the circuit breaker, visible in the accounts view and metrics.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>

#include "connectors/connector.h"
#include "policies/loader.h"
#include "scheduler/runtime/service.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_server.h"

namespace herald::runtime {
namespace {

using namespace std::chrono;
using Kind = connectors::PublishResult::Kind;

Instant At(const char* s) { return *ParseRfc3339(s); }

// A Mastodon instance as far as these tests need: POST /api/v1/statuses answers
// with whatever `answer` says for the n-th request (1-based).
struct FakeInstance {
  explicit FakeInstance(std::function<void(int, httplib::Response&)> answer) : answer_(std::move(answer)) {
    fake.server().Post("/api/v1/statuses", [this](const httplib::Request&, httplib::Response& res) {
      int n = ++requests;
      res.status = 200;
      res.set_content(R"({"id":")" + std::to_string(1000 + n) + R"(","url":"https://masto.example/@acme/)" +
                          std::to_string(1000 + n) + R"(","uri":"x","content":"<p>hi</p>"})",
                      "application/json");
      answer_(n, res);
    });
    fake.Start();
  }
  testing::FakeServer fake;
  std::atomic<int> requests{0};
  std::function<void(int, httplib::Response&)> answer_;
};

struct Fixture {
  // `second_account`: a second Mastodon account, acme-other, on the same instance.
  explicit Fixture(const std::string& base_url, ServiceOptions options = {}, bool second_account = false) {
    char tmpl[] = "/tmp/herald-feedback-XXXXXX";
    dir = mkdtemp(tmpl);
    std::string yaml =
        "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n    - id: acme-masto\n"
        "      platform: mastodon\n      connector: { base_url: \"" + base_url + "\", token: env:ACME_TOKEN }\n" +
        (second_account ? "    - id: acme-other\n      platform: mastodon\n      connector: { base_url: \"" + base_url +
                              "\", token: env:ACME_TOKEN }\n"
                        : std::string()) +
        "frequency:\n  default:\n    min_spacing: 1m\n  max_delay: 48h\n  missed_after: 2h\n"
        "approval: { required: false }\n";
    auto policy = policies::LoadPolicy(yaml, "acme.yaml");
    if (!policy) FAIL(policy.error().front().ToString());
    connectors::ConnectorContext context;
    context.resolve_secret = [](const policies::SecretRef&) -> Result<std::string> { return std::string("token-1"); };
    context.http.read_timeout = milliseconds{2000};
    auto made = connectors::ConnectorRegistry::Builtin().Create(policy->accounts[0].connector, context);
    REQUIRE(made);
    connector = std::move(*made);
    policy_ = *policy;
    options_ = options;
    Reopen();
  }
  // A new store and Service on the same database, as after a restart.
  void Reopen() {
    service.reset();
    store.reset();
    store = std::move(*storage::OpenStore("sqlite:" + dir + "/h.db"));
    service = std::make_unique<Service>(*store, clock, std::vector<policies::Policy>{policy_}, [] {}, options_);
    REQUIRE(service->Start());
  }
  ~Fixture() {
    service.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }

  Post Create(const std::string& text, Instant at, const std::string& account = "acme-masto") {
    CreatePostRequest r;
    r.account = account;
    r.text = text;
    r.at = at;
    auto created = service->CreatePost(mona, r);
    REQUIRE(created);
    REQUIRE(created->post.state == PostState::kScheduled);
    return created->post;
  }

  // What the runtime does at `now`: claim what is due and publish it.
  std::vector<Post> FireAt(Instant now) {
    clock.Set(now);
    auto claimed = service->ClaimDue(now);
    REQUIRE(claimed);
    std::vector<Post> settled;
    for (const Post& p : *claimed) {
      connectors::PublishRequest req{p.id, p.organization, p.account, "mastodon", p.text, p.labels, p.media,
                                     *p.planned_at, now, "acme-" + std::to_string(p.id), p.created_at,
                                     service->Attempt(p.id)};
      auto result = connector->Publish(req);
      service->RecordPublish(p.account, 0.0, 0.01, result.kind == Kind::kPublished ? PublishOutcome::kPublished : PublishOutcome::kRetryLater);
      auto s = service->Settle(p.id, result);
      REQUIRE(s);
      settled.push_back(*s);
    }
    return settled;
  }

  Post Get(int64_t id) {
    auto p = service->GetPost(mona, id);
    REQUIRE(p);
    return *p;
  }

  std::string dir;
  policies::Policy policy_;
  ServiceOptions options_;
  testing::FakeClock clock{At("2026-12-01T09:00:00Z")};
  std::unique_ptr<connectors::Connector> connector;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Service> service;
  Caller mona{"acme", "mona", Role::kManager};
};

bool HasReason(const Post& p, const std::string& rule) {
  return std::any_of(p.reasons.begin(), p.reasons.end(), [&](const StoredReason& r) { return r.rule == rule; });
}

TEST_CASE("A 429 with a reset 10 minutes ahead pauses the account until the reset", "[connector_feedback]") {
  FakeInstance instance([](int n, httplib::Response& res) {
    if (n == 1) {
      res.status = 429;
      res.set_header("X-RateLimit-Limit", "300");
      res.set_header("X-RateLimit-Remaining", "0");
      res.set_header("X-RateLimit-Reset", "2026-12-01T09:10:00.000000Z");
      res.set_content(R"({"error":"Too many requests"})", "application/json");
    }
  });
  Fixture f(instance.fake.base_url());
  Post first = f.Create("first", At("2026-12-01T09:00:00Z"));
  Post second = f.Create("second", At("2026-12-01T09:02:00Z"));
  Post third = f.Create("third", At("2026-12-01T09:05:00Z"));

  auto settled = f.FireAt(At("2026-12-01T09:00:00Z"));
  REQUIRE(settled.size() == 1);
  CHECK(instance.requests == 1);
  // The post that hit the limit goes back to the plan, after the reset.
  Post p1 = f.Get(first.id);
  CHECK(p1.state == PostState::kScheduled);
  REQUIRE(p1.planned_at);
  CHECK(*p1.planned_at >= At("2026-12-01T09:10:00Z"));
  CHECK(HasReason(p1, "retry_after"));
  CHECK(p1.reasons.front().detail.find("X-RateLimit-Reset 2026-12-01T09:10:00Z (0 of 300 left)") != std::string::npos);
  // The account's next posts moved past the reset too, saying why.
  for (int64_t id : {second.id, third.id}) {
    Post p = f.Get(id);
    CHECK(p.state == PostState::kScheduled);
    REQUIRE(p.planned_at);
    CHECK(*p.planned_at >= At("2026-12-01T09:10:00Z"));
    CHECK(HasReason(p, "rate_limit"));
  }
  // A post created during the pause is planned after it, with the reason.
  Post fourth = f.Create("fourth", At("2026-12-01T09:06:00Z"));
  CHECK(*fourth.planned_at >= At("2026-12-01T09:10:00Z"));
  CHECK(HasReason(fourth, "rate_limit"));

  auto accounts = f.service->Accounts(f.mona);
  REQUIRE(accounts);
  REQUIRE(accounts->front().paused);
  CHECK(accounts->front().paused->rule == "rate_limit");
  CHECK(accounts->front().paused->until == At("2026-12-01T09:10:00Z"));

  // Nothing reaches the platform before the reset, minute by minute.
  for (Instant t = At("2026-12-01T09:00:01Z"); t < At("2026-12-01T09:10:00Z"); t += seconds{30}) {
    CHECK(f.FireAt(t).empty());
  }
  CHECK(instance.requests == 1);
  // From the reset on, the posts go out (spaced by the policy's 1m).
  int published = 0;
  for (Instant t = At("2026-12-01T09:10:00Z"); t <= At("2026-12-01T09:20:00Z"); t += seconds{1}) {
    for (const Post& p : f.FireAt(t)) published += p.state == PostState::kPublished;
  }
  CHECK(published == 4);
  CHECK(instance.requests == 5);
  auto metrics = f.service->CurrentMetrics();
  CHECK(metrics.connectors["mastodon"].rate_limit_hits == 1);
  CHECK(metrics.connectors["mastodon"].publishes_by_outcome[PublishOutcome::kPublished] == 4);
}

TEST_CASE("A rate-limit pause survives a restart of the daemon", "[connector_feedback]") {
  FakeInstance instance([](int n, httplib::Response& res) {
    if (n == 1) {
      res.status = 429;
      res.set_header("X-RateLimit-Remaining", "0");
      res.set_header("X-RateLimit-Reset", "2026-12-01T09:10:00.000000Z");
      res.set_content(R"({"error":"Too many requests"})", "application/json");
    }
  });
  Fixture f(instance.fake.base_url());
  f.Create("first", At("2026-12-01T09:00:00Z"));
  f.FireAt(At("2026-12-01T09:00:00Z"));
  REQUIRE(instance.requests == 1);
  // The daemon restarts during the pause: the new Service reads it back.
  f.clock.Set(At("2026-12-01T09:01:00Z"));
  f.Reopen();
  auto accounts = f.service->Accounts(f.mona);
  REQUIRE(accounts);
  REQUIRE(accounts->front().paused);
  CHECK(accounts->front().paused->until == At("2026-12-01T09:10:00Z"));
  Post later = f.Create("created after the restart", At("2026-12-01T09:02:00Z"));
  CHECK(*later.planned_at >= At("2026-12-01T09:10:00Z"));
  CHECK(HasReason(later, "rate_limit"));
  for (Instant t = At("2026-12-01T09:01:00Z"); t < At("2026-12-01T09:10:00Z"); t += seconds{20}) CHECK(f.FireAt(t).empty());
  CHECK(instance.requests == 1);
}

// The instance is down: every request gets a 503.
void AlwaysUnavailable(int, httplib::Response& res) {
  res.status = 503;
  res.set_content(R"({"error":"Service Unavailable"})", "application/json");
}

// Short backoff, and breakers that open after 3 failures for 5 minutes.
ServiceOptions BreakerAfterThree() {
  ServiceOptions options;
  options.backoff = {seconds{10}, seconds{10}, 20};
  options.breaker = {3, minutes{5}, minutes{30}};
  return options;
}

TEST_CASE("Repeated platform failures open the breaker and stop requests for a bounded time", "[connector_feedback]") {
  FakeInstance instance(AlwaysUnavailable);
  ServiceOptions options = BreakerAfterThree();
  Fixture f(instance.fake.base_url(), options);
  std::vector<Post> posts;
  for (int i = 0; i < 3; ++i) posts.push_back(f.Create("post " + std::to_string(i), At("2026-12-01T09:00:00Z") + minutes{i}));

  // Each failure is retried after a short backoff; the third in a row opens the breaker.
  Instant t = At("2026-12-01T09:00:00Z");
  int guard = 0;
  while (instance.requests < 3 && ++guard < 2000) {
    f.FireAt(t);
    t += seconds{1};
  }
  REQUIRE(instance.requests == 3);
  Instant opened_at = t - seconds{1};
  auto accounts = f.service->Accounts(f.mona);
  REQUIRE(accounts);
  CHECK(accounts->front().breaker == "open");
  CHECK(accounts->front().connector_breaker == "open");
  auto metrics = f.service->CurrentMetrics();
  CHECK(metrics.connectors["mastodon"].breaker_open);
  CHECK(metrics.connectors["mastodon"].accounts_breaker_open == 1);
  CHECK(metrics.connectors["mastodon"].breaker_openings == 2);  // the account's and the connector's

  // For the open time, no request reaches the platform; due posts are deferred with the reason.
  for (Instant u = opened_at + seconds{1}; u < opened_at + minutes{5}; u += seconds{5}) f.FireAt(u);
  CHECK(instance.requests == 3);
  bool said_why = false;
  for (const Post& p : posts) said_why = said_why || HasReason(f.Get(p.id), "circuit_open");
  CHECK(said_why);
  // Then one trial goes through (half-open); it fails and the breaker re-opens for longer.
  for (Instant u = opened_at + minutes{5}; u < opened_at + minutes{8}; u += seconds{1}) f.FireAt(u);
  CHECK(instance.requests == 4);
  CHECK(f.service->Accounts(f.mona)->front().breaker == "open");
}

TEST_CASE("An open connector breaker holds every account on that connector, also after a restart", "[connector_feedback]") {
  FakeInstance instance(AlwaysUnavailable);
  ServiceOptions options = BreakerAfterThree();
  Fixture f(instance.fake.base_url(), options, /*second_account=*/true);
  for (int i = 0; i < 3; ++i) f.Create("post " + std::to_string(i), At("2026-12-01T09:00:00Z") + minutes{i});
  Instant t = At("2026-12-01T09:00:00Z");
  for (int guard = 0; instance.requests < 3 && guard < 2000; ++guard) {
    f.FireAt(t);
    t += seconds{1};
  }
  REQUIRE(instance.requests == 3);
  const Instant reopens = t - seconds{1} + minutes{5};

  // The breaker lived in the old process; the pause of the connector is stored.
  f.clock.Set(t);
  f.Reopen();
  auto accounts = f.service->Accounts(f.mona);
  REQUIRE(accounts);
  REQUIRE(accounts->size() == 2);
  for (const auto& a : *accounts) {
    INFO(a.id);
    REQUIRE(a.paused);
    CHECK(a.paused->rule == "circuit_open");
    CHECK(a.paused->until == reopens);
    // acme-masto's own breaker opened too (same end); acme-other is held by the connector's.
    if (a.id == "acme-other") CHECK(a.paused->why.find("circuit breaker of connector mastodon") != std::string::npos);
  }
  Post other = f.Create("on the other account", t, "acme-other");
  CHECK(*other.planned_at >= reopens);
  CHECK(HasReason(other, "circuit_open"));
  for (Instant u = t; u < reopens; u += seconds{10}) f.FireAt(u);
  CHECK(instance.requests == 3);
}

}  // namespace
}  // namespace herald::runtime
