// The Store contract for events, on every store: a post write records its
// event in the same transaction (a conflicting write records none), an event
// id is stored once, routing happens once, a due delivery is claimed by one
// claimant only, finished only by its claim, listed per organisation, and
// retried on request.
#include "storage/store.h"

#include <catch2/catch.hpp>

#include <set>

#include <nlohmann/json.hpp>

#include "storage/event_payloads.h"
#include "tests/storage/store_testing.h"

namespace herald::storage {
namespace {

using namespace std::chrono;
using testing::Day;
using testing::NewPost;
using testing::StoreFactories;
using testing::StoreFactory;
using testing::TempDir;

std::vector<Event> AllEvents(Store& store, const std::string& org) {
  auto events = store.ListEvents({org, std::nullopt, std::nullopt, 0, 1000});
  REQUIRE(events);
  return *events;
}

Post Approved(Store& store, const std::string& org) {
  Post p = NewPost(org, org + "-mastodon", "hello");
  auto created = store.CreatePost(p, {}, std::nullopt);
  REQUIRE(created);
  Post changed = *created;
  changed.state = PostState::kScheduled;
  changed.planned_at = Day(3, 2, 9);
  changed.updated_at = Day(3, 1, 9);
  auto updated = store.UpdatePosts({{changed, {}}});
  REQUIRE(updated);
  return updated->at(0);
}

TEST_CASE("A post write records its event in the same transaction", "[store][events]") {
  EACH_STORE();
  Post p = Approved(*store, "acme");
  auto events = AllEvents(*store, "acme");
  REQUIRE(events.size() == 1);  // pending_approval is no event; scheduled is
  CHECK(events[0].type == EventType::kPostScheduled);
  CHECK(events[0].id == "evt_post_" + std::to_string(p.id) + "_v2");
  auto data = nlohmann::json::parse(events[0].payload);
  CHECK(data["post"]["id"] == p.id);
  CHECK(data["post"]["planned_at"] == "2026-03-02T09:00:00Z");
  CHECK(data["previous"]["state"] == "pending_approval");

  SECTION("a move is post.moved with the old time") {
    Post moved = p;
    moved.planned_at = Day(3, 2, 11);
    REQUIRE(store->UpdatePosts({{moved, {}}}));
    events = AllEvents(*store, "acme");
    REQUIRE(events.size() == 2);
    CHECK(events[1].type == EventType::kPostMoved);
    CHECK(nlohmann::json::parse(events[1].payload)["previous"]["planned_at"] == "2026-03-02T09:00:00Z");
  }
  SECTION("a write refused for its version records nothing") {
    Post stale = p;
    stale.version = 1;
    stale.state = PostState::kPublished;
    CHECK_FALSE(store->UpdatePosts({{stale, {}}}));
    CHECK(AllEvents(*store, "acme").size() == 1);
  }
  SECTION("another organisation sees none of them") { CHECK(AllEvents(*store, "globex").empty()); }
}

TEST_CASE("An event id is stored once and an event routed once", "[store][events]") {
  EACH_STORE();
  AccountFacts facts{"acme", "acme-x", "x", "rate_limit", Day(3, 1, 10), "429", std::nullopt};
  Event paused = AccountEvent(EventType::kAccountPaused, facts, Day(3, 1, 9), "1");
  REQUIRE(store->RecordEvents({paused}));
  REQUIRE(store->RecordEvents({paused}));
  REQUIRE(AllEvents(*store, "acme").size() == 1);

  auto unrouted = store->UnroutedEvents(10);
  REQUIRE(unrouted);
  REQUIRE(unrouted->size() == 1);
  auto routed = store->RouteEvent(paused.id, "acme", {"https://a.example/h", "https://b.example/h"}, Day(3, 1, 9));
  REQUIRE(routed);
  CHECK(*routed);
  auto again = store->RouteEvent(paused.id, "acme", {"https://a.example/h"}, Day(3, 1, 9));
  REQUIRE(again);
  CHECK_FALSE(*again);
  CHECK(store->UnroutedEvents(10)->empty());
  auto deliveries = store->ListDeliveries({"acme", std::nullopt, 0, 100});
  REQUIRE(deliveries);
  REQUIRE(deliveries->size() == 2);
  CHECK(deliveries->at(0).state == DeliveryState::kPending);
  CHECK(deliveries->at(0).type == EventType::kAccountPaused);
  CHECK(*store->PendingDeliveries() == 2);
}

TEST_CASE("Events routed together: each once, in one write, the routed ones left as they are", "[store][events]") {
  EACH_STORE();
  std::vector<Event> events;
  for (const char* n : {"1", "2", "3"}) {
    events.push_back(AccountEvent(EventType::kAccountResumed, {"acme", "acme-x", "x", "rate_limit", {}, "", {}},
                                  Day(3, 1, 9), n));
  }
  events.push_back(AccountEvent(EventType::kAccountResumed, {"globex", "globex-x", "x", "rate_limit", {}, "", {}},
                                Day(3, 1, 9), "4"));
  REQUIRE(store->RecordEvents(events));
  REQUIRE(store->RouteEvent(events[1].id, "acme", {"https://a.example/h"}, Day(3, 1, 9)));
  CHECK(*store->RouteEvents({}, Day(3, 1, 9)) == 0);

  auto routed = store->RouteEvents({{events[0].id, "acme", {"https://a.example/h", "https://b.example/h"}},
                                    {events[1].id, "acme", {"https://c.example/h"}},
                                    {events[2].id, "acme", {}},
                                    {events[3].id, "globex", {"https://g.example/h"}}},
                                   Day(3, 1, 9));
  REQUIRE(routed);
  CHECK(*routed == 3);  // the second was routed already
  CHECK(store->UnroutedEvents(10)->empty());
  auto acme = store->ListDeliveries({"acme", std::nullopt, 0, 100});
  REQUIRE(acme);
  std::multiset<std::string> urls;
  for (const EventDelivery& d : *acme) urls.insert(d.url);
  // Event 2 keeps its first routing only; event 3 has no subscriber.
  CHECK(urls == std::multiset<std::string>{"https://a.example/h", "https://a.example/h", "https://b.example/h"});
  CHECK(store->ListDeliveries({"globex", std::nullopt, 0, 100})->size() == 1);
  CHECK(*store->RouteEvents({{events[0].id, "acme", {"https://z.example/h"}}}, Day(3, 1, 9)) == 0);
  CHECK(*store->PendingDeliveries() == 4);
}

TEST_CASE("A due delivery is claimed once and finished only by its claim", "[store][events]") {
  EACH_STORE();
  Event e = AccountEvent(EventType::kAccountResumed, {"acme", "acme-x", "x", "rate_limit", {}, "", {}}, Day(3, 1, 9), "1");
  REQUIRE(store->RecordEvents({e}));
  REQUIRE(store->RouteEvent(e.id, "acme", {"https://a.example/h"}, Day(3, 1, 9)));
  const Instant now = Day(3, 1, 9);

  auto first = store->ClaimDeliveries({"daemon-a-1", now, now + minutes{2}, 10});
  REQUIRE(first);
  REQUIRE(first->size() == 1);
  CHECK(first->at(0).event == AllEvents(*store, "acme").at(0));
  auto second = store->ClaimDeliveries({"daemon-b-1", now, now + minutes{2}, 10});
  REQUIRE(second);
  CHECK(second->empty());

  const int64_t id = first->at(0).delivery.id;
  DeliveryOutcome retry{id, "daemon-b-1", DeliveryState::kPending, 1, 500, "HTTP 500", now + seconds{5}, now};
  auto stranger = store->FinishDelivery(retry);
  REQUIRE_FALSE(stranger);
  CHECK(stranger.error().code() == Code::kFailedPrecondition);
  retry.token = "daemon-a-1";
  REQUIRE(store->FinishDelivery(retry));

  SECTION("not due before its next attempt, then claimable again") {
    CHECK(store->ClaimDeliveries({"daemon-b-2", now + seconds{4}, now + minutes{2}, 10})->empty());
    auto later = store->ClaimDeliveries({"daemon-b-3", now + seconds{5}, now + minutes{2}, 10});
    REQUIRE(later);
    REQUIRE(later->size() == 1);
    CHECK(later->at(0).delivery.attempts == 1);
    CHECK(later->at(0).delivery.last_status == 500);
  }
  SECTION("a claim that ran out may be taken by another") {
    REQUIRE(store->ClaimDeliveries({"daemon-a-2", now + seconds{5}, now + seconds{65}, 10})->size() == 1);
    CHECK(store->ClaimDeliveries({"daemon-b-4", now + seconds{30}, now + minutes{3}, 10})->empty());
    CHECK(store->ClaimDeliveries({"daemon-b-5", now + seconds{65}, now + minutes{3}, 10})->size() == 1);
  }
  SECTION("delivered, it is listed so and retried only on request, in its organisation") {
    REQUIRE(store->ClaimDeliveries({"daemon-a-3", now + seconds{5}, now + minutes{2}, 10})->size() == 1);
    REQUIRE(store->FinishDelivery({id, "daemon-a-3", DeliveryState::kDelivered, 2, 204, "", now, now + seconds{6}}));
    CHECK(store->ListDeliveries({"acme", DeliveryState::kDelivered, 0, 10})->size() == 1);
    CHECK(store->ListDeliveries({"acme", DeliveryState::kPending, 0, 10})->empty());
    CHECK(*store->PendingDeliveries() == 0);
    auto other = store->RetryDelivery("globex", id, now + seconds{10});
    REQUIRE_FALSE(other);
    CHECK(other.error().code() == Code::kNotFound);
    auto retried = store->RetryDelivery("acme", id, now + seconds{10});
    REQUIRE(retried);
    CHECK(retried->state == DeliveryState::kPending);
    CHECK(retried->attempts == 0);
    CHECK(store->ClaimDeliveries({"daemon-a-4", now + seconds{10}, now + minutes{2}, 10})->size() == 1);
  }
}

TEST_CASE("Events are listed by type, time and cursor", "[store][events]") {
  EACH_STORE();
  Approved(*store, "acme");
  Event paused = AccountEvent(EventType::kAccountPaused, {"acme", "acme-x", "x", "rate_limit", {}, "", {}},
                              Day(3, 5, 9), "1");
  REQUIRE(store->RecordEvents({paused}));
  auto by_type = store->ListEvents({"acme", EventType::kAccountPaused, std::nullopt, 0, 10});
  REQUIRE(by_type);
  REQUIRE(by_type->size() == 1);
  CHECK(by_type->at(0).id == paused.id);
  CHECK(store->ListEvents({"acme", std::nullopt, Day(3, 4), 0, 10})->size() == 1);
  auto first = store->ListEvents({"acme", std::nullopt, std::nullopt, 0, 1});
  REQUIRE(first->size() == 1);
  auto rest = store->ListEvents({"acme", std::nullopt, std::nullopt, first->at(0).seq, 10});
  REQUIRE(rest->size() == 1);
  CHECK(rest->at(0).seq > first->at(0).seq);
  CHECK_FALSE(store->ListEvents({"acme", std::nullopt, std::nullopt, 0, 0}));
}

TEST_CASE("Pruning forgets finished deliveries and their events, and keeps what is under way", "[store][events]") {
  EACH_STORE();
  const Instant old = Day(3, 1, 9);
  auto account = [](const char* n) { return AccountFacts{"acme", n, "x", "rate_limit", {}, "", {}}; };
  Event delivered = AccountEvent(EventType::kAccountPaused, account("a"), old, "1");
  Event failed = AccountEvent(EventType::kAccountPaused, account("b"), old, "2");
  Event pending = AccountEvent(EventType::kAccountPaused, account("c"), old, "3");
  Event unrouted = AccountEvent(EventType::kAccountPaused, account("d"), old, "4");
  Event no_subscriber = AccountEvent(EventType::kAccountPaused, account("e"), old, "5");
  Event recent = AccountEvent(EventType::kAccountPaused, account("f"), Day(3, 20, 9), "6");
  REQUIRE(store->RecordEvents({delivered, failed, pending, unrouted, no_subscriber, recent}));
  for (const Event* e : {&delivered, &failed, &pending}) {
    REQUIRE(store->RouteEvent(e->id, "acme", {"https://a.example/h"}, old));
  }
  REQUIRE(store->RouteEvent(no_subscriber.id, "acme", {}, old));
  REQUIRE(store->RouteEvent(recent.id, "acme", {"https://a.example/h"}, Day(3, 20, 9)));
  auto claimed = store->ClaimDeliveries({"daemon-a-1", old, old + minutes{2}, 10});
  REQUIRE(claimed);
  REQUIRE(claimed->size() == 3);
  for (const auto& c : *claimed) {
    DeliveryState state = c.event.id == delivered.id ? DeliveryState::kDelivered
                          : c.event.id == failed.id  ? DeliveryState::kFailed
                                                     : DeliveryState::kPending;
    REQUIRE(store->FinishDelivery({c.delivery.id, "daemon-a-1", state, 1, 500, "", old + seconds{5}, old}));
  }

  auto removed = store->PruneEvents(Day(3, 10));
  REQUIRE(removed);
  CHECK(*removed == 5);  // two deliveries, and the delivered, failed and unsubscribed events
  std::vector<std::string> left;
  for (const Event& e : AllEvents(*store, "acme")) left.push_back(e.id);
  CHECK(left == std::vector<std::string>{pending.id, unrouted.id, recent.id});
  auto deliveries = store->ListDeliveries({"acme", std::nullopt, 0, 100});
  REQUIRE(deliveries);
  REQUIRE(deliveries->size() == 2);
  CHECK(deliveries->at(0).event_id == pending.id);
  CHECK(deliveries->at(0).state == DeliveryState::kPending);
  CHECK(deliveries->at(1).event_id == recent.id);
  CHECK(*store->PruneEvents(Day(3, 10)) == 0);
  // A pruned id may be recorded again: it is new to the store.
  REQUIRE(store->RecordEvents({delivered}));
  CHECK(AllEvents(*store, "acme").size() == 4);
}

}  // namespace
}  // namespace herald::storage
