// EventDispatcher over a real Service and SQLite store, with a fake clock
// moved by hand and a sender answering from a script: a published post's
// event reaches each subscription that wants it, once; 500 twice then 200 is
// delivered on the third attempt after the backoff; 410 and a removed
// subscription stop it; a 401 from the platform is account.credentials_broken;
// a pause that ends is account.resumed; an inbox item overdue is emitted by
// its one function.
#include "scheduler/runtime/event_dispatcher.h"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

#include "connectors/webhook/webhook_connector.h"
#include "policies/loader.h"
#include "storage/event_payloads.h"
#include "tests/support/fake_clock.h"

namespace herald::runtime {
namespace {

using namespace std::chrono;
using connectors::EventAnswer;
using connectors::EventMessage;
using testing::FakeClock;

const Caller kMona{"acme", "mona", Role::kManager};
const Instant kStart = *ParseRfc3339("2026-11-23T10:00:00Z");
constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

const std::string kPolicyHead =
    "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n    - id: acme-toot\n"
    "      platform: mastodon\n      connector: { type: file }\n"
    "frequency:\n  default:\n    min_spacing: 0s\n  max_delay: 48h\n  missed_after: 30m\n"
    "approval: { required: false }\n";

// Answers deliveries from a script (200 when it is spent) and keeps what it was sent.
class ScriptedReceiver {
 public:
  EventAnswer Send(const EventMessage& m) {
    std::lock_guard lock(mu_);
    sent_.push_back(m);
    if (script_.empty()) return {EventAnswer::Kind::kDelivered, 200, {}};
    EventAnswer next = script_.front();
    script_.pop_front();
    return next;
  }
  void Then(EventAnswer a) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(a));
  }
  std::vector<EventMessage> sent() {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  std::mutex mu_;
  std::deque<EventAnswer> script_;
  std::vector<EventMessage> sent_;
};

struct Fixture {
  explicit Fixture(const std::string& events =
                       "events:\n  - url: https://hooks.example.com/a\n    secret: env:HERALD_TEST_EVENTS_SECRET\n"
                       "    types: [post.published, post.failed, account.credentials_broken, account.paused,"
                       " account.resumed, inbox.item_overdue]\n"
                       "  - url: https://hooks.example.com/b\n    secret: env:HERALD_TEST_EVENTS_SECRET\n"
                       "    types: [post.scheduled]\n")
      : clock(kStart) {
    char tmpl[] = "/tmp/herald-events-XXXXXX";
    dir = mkdtemp(tmpl);
    auto loaded = policies::LoadPolicy(kPolicyHead + events, "acme.yaml");
    REQUIRE(loaded);
    policy = *loaded;
    auto opened = storage::OpenStore("sqlite:" + dir + "/h.db");
    REQUIRE(opened);
    store = std::move(*opened);
    service = std::make_unique<Service>(*store, clock, std::vector<policies::Policy>{policy}, [] {});
    REQUIRE(service->Start());
    dispatcher = std::make_unique<EventDispatcher>(
        io, *service, *store, clock, [this](const EventMessage& m) { return receiver.Send(m); },
        [](const policies::SecretRef& ref) -> Result<std::string> {
          if (ref.target != "HERALD_TEST_EVENTS_SECRET") return NotFound("no secret " + ref.target);
          return std::string(kSecret);
        });
  }
  ~Fixture() {
    dispatcher.reset();
    service.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  Post Publish(connectors::PublishResult outcome) {
    CreatePostRequest request;
    request.account = "acme-toot";
    request.text = "post " + std::to_string(++posts);
    auto created = service->CreatePost(kMona, request);
    REQUIRE(created);
    auto claimed = service->ClaimDue(clock.Now());
    REQUIRE(claimed);
    REQUIRE(claimed->size() == 1);
    auto settled = service->Settle(created->post.id, outcome);
    REQUIRE(settled);
    return *settled;
  }
  std::vector<storage::EventDelivery> Deliveries() {
    auto d = service->Deliveries(kMona, {"", std::nullopt, 0, 100});
    REQUIRE(d);
    return *d;
  }

  std::string dir;
  FakeClock clock;
  policies::Policy policy;
  boost::asio::io_context io;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Service> service;
  ScriptedReceiver receiver;
  std::unique_ptr<EventDispatcher> dispatcher;
  int posts = 0;
};

connectors::PublishResult Published() {
  connectors::PublishResult ok;
  ok.remote_id = "109000000000000001";
  ok.remote_url = "https://example.social/@acme/109000000000000001";
  return ok;
}

TEST_CASE("A published post's event reaches each subscription that wants it, once", "[events]") {
  Fixture f;
  Post p = f.Publish(Published());
  CHECK(f.dispatcher->RunRound() == 2);  // post.scheduled to b, post.published to a
  auto sent = f.receiver.sent();
  REQUIRE(sent.size() == 2);
  const EventMessage* published = nullptr;
  for (const auto& m : sent)
    if (m.url == "https://hooks.example.com/a") published = &m;
  REQUIRE(published != nullptr);
  auto body = nlohmann::json::parse(published->body);
  CHECK(body["type"] == "post.published");
  CHECK(body["id"] == published->id);
  CHECK(body["data"]["post"]["id"] == p.id);
  CHECK(body["data"]["post"]["remote_url"] == "https://example.social/@acme/109000000000000001");
  CHECK(body["data"]["previous"]["state"] == "publishing");
  CHECK(published->id.starts_with("evt_post_"));
  CHECK(published->timestamp == kStart.time_since_epoch().count());
  auto key = connectors::WebhookKeyFromSecret(kSecret);
  REQUIRE(key);
  CHECK(published->key == *key);

  CHECK(f.dispatcher->RunRound() == 0);
  CHECK(f.receiver.sent().size() == 2);
  for (const auto& d : f.Deliveries()) {
    CHECK(d.state == DeliveryState::kDelivered);
    CHECK(d.attempts == 1);
    CHECK(d.last_status == 200);
  }
  auto metrics = f.service->CurrentMetrics();
  CHECK(metrics.event_deliveries_by_outcome["delivered"] == 2);
  CHECK(metrics.event_deliveries_pending == 0);
}

TEST_CASE("A receiver answering 500 twice then 200 gets the event on the third attempt", "[events]") {
  Fixture f("events:\n  - url: https://hooks.example.com/a\n    secret: env:HERALD_TEST_EVENTS_SECRET\n"
            "    types: [post.published]\n");
  f.receiver.Then({EventAnswer::Kind::kRetry, 500, "HTTP 500"});
  f.receiver.Then({EventAnswer::Kind::kRetry, 500, "HTTP 500"});
  f.Publish(Published());
  CHECK(f.dispatcher->RunRound() == 1);
  auto d = f.Deliveries().at(0);
  CHECK(d.state == DeliveryState::kPending);
  CHECK(d.attempts == 1);
  CHECK(d.last_status == 500);
  // 5 s with jitter of at most a fifth.
  CHECK(d.next_attempt >= kStart + seconds{4});
  CHECK(d.next_attempt <= kStart + seconds{6});
  CHECK(f.dispatcher->RunRound() == 0);  // not due yet
  f.clock.Advance(seconds{6});
  CHECK(f.dispatcher->RunRound() == 1);
  CHECK(f.Deliveries().at(0).attempts == 2);
  f.clock.Advance(seconds{36});
  CHECK(f.dispatcher->RunRound() == 1);
  d = f.Deliveries().at(0);
  CHECK(d.state == DeliveryState::kDelivered);
  CHECK(d.attempts == 3);
  CHECK(d.last_status == 200);
  auto sent = f.receiver.sent();
  REQUIRE(sent.size() == 3);
  CHECK(sent[0].id == sent[2].id);  // the same webhook-id on every attempt
  CHECK(sent[0].body == sent[2].body);
  CHECK(sent[2].timestamp > sent[0].timestamp);
}

TEST_CASE("410 Gone and a removed subscription stop a delivery, and a manager retries it", "[events]") {
  Fixture f("events:\n  - url: https://hooks.example.com/a\n    secret: env:HERALD_TEST_EVENTS_SECRET\n"
            "    types: [post.published]\n");
  f.receiver.Then({EventAnswer::Kind::kGone, 410, "410 Gone"});
  f.Publish(Published());
  CHECK(f.dispatcher->RunRound() == 1);
  auto d = f.Deliveries().at(0);
  CHECK(d.state == DeliveryState::kFailed);
  CHECK(d.last_status == 410);
  f.clock.Advance(hours{2});
  CHECK(f.dispatcher->RunRound() == 0);

  auto viewer = f.service->RetryDelivery({"acme", "vic", Role::kViewer}, d.id);
  REQUIRE_FALSE(viewer);
  CHECK(viewer.error().code() == Code::kPermissionDenied);
  auto stranger = f.service->RetryDelivery({"globex", "gus", Role::kManager}, d.id);
  REQUIRE_FALSE(stranger);
  CHECK(stranger.error().code() == Code::kNotFound);
  REQUIRE(f.service->RetryDelivery(kMona, d.id));
  CHECK(f.dispatcher->RunRound() == 1);
  CHECK(f.Deliveries().at(0).state == DeliveryState::kDelivered);

  SECTION("a subscription removed from the policy fails its pending deliveries") {
    REQUIRE(f.service->RetryDelivery(kMona, d.id));
    policies::Policy without = f.policy;
    without.events.clear();
    REQUIRE(f.service->ReplacePolicies({without}, {}));
    CHECK(f.dispatcher->RunRound() == 1);
    auto failed = f.Deliveries().at(0);
    CHECK(failed.state == DeliveryState::kFailed);
    CHECK(failed.last_error.find("no longer in the organisation's policy") != std::string::npos);
  }
}

TEST_CASE("The last attempt spent, a delivery fails for good", "[events]") {
  Fixture f("events:\n  - url: https://hooks.example.com/a\n    secret: env:HERALD_TEST_EVENTS_SECRET\n"
            "    types: [post.published]\n");
  for (int i = 0; i < kMaxDeliveryAttempts; ++i) f.receiver.Then({EventAnswer::Kind::kRetry, std::nullopt, "connection refused"});
  f.Publish(Published());
  for (int i = 0; i < kMaxDeliveryAttempts; ++i) {
    CHECK(f.dispatcher->RunRound() == 1);
    f.clock.Advance(hours{15});
  }
  auto d = f.Deliveries().at(0);
  CHECK(d.state == DeliveryState::kFailed);
  CHECK(d.attempts == kMaxDeliveryAttempts);
  CHECK(d.last_error.find("gave up after 9 attempts") != std::string::npos);
  CHECK(f.dispatcher->RunRound() == 0);
}

TEST_CASE("A 401 from the platform is account.credentials_broken, and a pause that ends is account.resumed", "[events]") {
  Fixture f;
  connectors::PublishResult refused;
  refused.kind = connectors::PublishResult::Kind::kFailed;
  refused.why = "mastodon: 401 Unauthorized: The access token is invalid";
  refused.http_status = 401;
  f.Publish(refused);
  auto broken = f.service->Events(kMona, {"", EventType::kAccountCredentialsBroken, std::nullopt, 0, 10});
  REQUIRE(broken);
  REQUIRE(broken->size() == 1);
  auto data = nlohmann::json::parse(broken->at(0).payload);
  CHECK(data["account"] == "acme-toot");
  CHECK(data["http_status"] == 401);
  CHECK(data["action"].get<std::string>().starts_with("reconnect this account"));

  connectors::PublishResult limited;
  limited.kind = connectors::PublishResult::Kind::kRetryLater;
  limited.why = "mastodon: 429";
  limited.http_status = 429;
  limited.hold = connectors::RateLimitHold{kStart + minutes{15}, "mastodon: 429 until the reset", "rate_limit"};
  f.Publish(limited);
  auto paused = f.service->Events(kMona, {"", EventType::kAccountPaused, std::nullopt, 0, 10});
  REQUIRE(paused);
  REQUIRE(paused->size() == 1);
  CHECK(nlohmann::json::parse(paused->at(0).payload)["until"] == "2026-11-23T10:15:00Z");
  f.dispatcher->RunRound();
  CHECK(f.service->Events(kMona, {"", EventType::kAccountResumed, std::nullopt, 0, 10})->empty());
  f.clock.Advance(minutes{16});
  f.dispatcher->RunRound();
  f.dispatcher->RunRound();
  CHECK(f.service->Events(kMona, {"", EventType::kAccountResumed, std::nullopt, 0, 10})->size() == 1);
  std::set<std::string> delivered;
  for (const auto& m : f.receiver.sent()) delivered.insert(nlohmann::json::parse(m.body)["type"].get<std::string>());
  CHECK(delivered.contains("account.credentials_broken"));
  CHECK(delivered.contains("account.paused"));
  CHECK(delivered.contains("account.resumed"));
  CHECK(delivered.contains("post.failed"));
}

TEST_CASE("A connect ends the hold of a missing connection: the waiting post goes at once, account.resumed told",
          "[events]") {
  Fixture f;
  connectors::PublishResult waiting;
  waiting.kind = connectors::PublishResult::Kind::kRetryLater;
  waiting.attempted = false;
  waiting.why = "account acme-toot needs reconnecting (invalid_grant)";
  waiting.retry_at = kStart + minutes{10};
  waiting.hold = connectors::RateLimitHold{kStart + minutes{10}, waiting.why, "needs_reconnect"};
  Post held = f.Publish(waiting);
  REQUIRE(held.state == PostState::kScheduled);
  CHECK(*held.planned_at >= kStart + minutes{10});

  CHECK(f.service->AccountConnected("globex", "acme-toot").error().code() == Code::kNotFound);
  f.clock.Advance(seconds{20});
  REQUIRE(f.service->AccountConnected("acme", "acme-toot"));
  auto now = f.service->GetPost(kMona, held.id);
  REQUIRE(now);
  CHECK(now->state == PostState::kScheduled);
  CHECK(*now->planned_at <= kStart + seconds{21});  // no longer behind the hold
  f.dispatcher->RunRound();
  auto resumed = f.service->Events(kMona, {"", EventType::kAccountResumed, std::nullopt, 0, 10});
  REQUIRE(resumed);
  CHECK(resumed->size() == 1);
  // Nothing else to end: a second connect changes nothing.
  REQUIRE(f.service->AccountConnected("acme", "acme-toot"));
  CHECK(f.service->GetPost(kMona, held.id)->version == now->version);
}

TEST_CASE("A connect leaves a platform's rate limit in force", "[events]") {
  Fixture f;
  connectors::PublishResult limited;
  limited.kind = connectors::PublishResult::Kind::kRetryLater;
  limited.why = "mastodon: 429";
  limited.http_status = 429;
  limited.hold = connectors::RateLimitHold{kStart + minutes{15}, "mastodon: 429 until the reset", "rate_limit"};
  Post held = f.Publish(limited);
  REQUIRE(f.service->AccountConnected("acme", "acme-toot"));
  auto after = f.service->GetPost(kMona, held.id);
  REQUIRE(after);
  CHECK(*after->planned_at >= kStart + minutes{15});
}

TEST_CASE("An inbox item overdue is emitted once by its function and delivered", "[events]") {
  Fixture f;
  InboxMessage item;
  item.remote_id = "110000000000000042";
  item.kind = InboxKind::kReply;
  item.author = "@alice@example.social";
  item.text = "When does the sale start?";
  item.created_at = kStart - hours{5};
  const Instant due = kStart - hours{1};
  REQUIRE(storage::EmitInboxItemOverdue(*f.store, "acme", "acme-toot", item, due, kStart));
  REQUIRE(storage::EmitInboxItemOverdue(*f.store, "acme", "acme-toot", item, due, kStart + minutes{1}));
  auto events = f.service->Events(kMona, {"", EventType::kInboxItemOverdue, std::nullopt, 0, 10});
  REQUIRE(events);
  REQUIRE(events->size() == 1);
  auto data = nlohmann::json::parse(events->at(0).payload);
  CHECK(data["item"]["remote_id"] == "110000000000000042");
  CHECK(data["item"]["kind"] == "reply");
  CHECK(data["due_at"] == "2026-11-23T09:00:00Z");
  CHECK(data["overdue_seconds"] == 3600);
  CHECK(f.dispatcher->RunRound() == 1);
  CHECK(nlohmann::json::parse(f.receiver.sent().at(0).body)["type"] == "inbox.item_overdue");
}

}  // namespace
}  // namespace herald::runtime
