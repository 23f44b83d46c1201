// Runtime: the firing loop on a real io_context over a real Service and SQLite
// store, with a fake clock and a recording connector. No sleeps: the test
// drives the io_context and waits only for the connector's call.
#include "scheduler/runtime/runtime.h"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <mutex>

#include "policies/loader.h"
#include "tests/support/delegating_store.h"
#include "tests/support/fake_clock.h"

namespace herald::runtime {
namespace {

using namespace std::chrono;
using testing::FakeClock;

constexpr const char* kPolicy =
    "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n    - id: acme-blog\n"
    "      platform: mastodon\n      connector: { type: file }\n"
    "frequency:\n  default:\n    min_spacing: 1h\n  max_delay: 48h\n  missed_after: 30m\n"
    "approval: { required: false }\n";

// Every write fails while `failing` is set, as a store whose disk is gone
// would; counts the writes tried meanwhile.
class FailingWrites : public testing::DelegatingStore {
 public:
  using DelegatingStore::DelegatingStore;
  Result<std::vector<Post>> UpdatePosts(std::vector<storage::PostChange> changes) override {
    if (failing) {
      ++failed;
      return Error(Code::kUnavailable, "disk I/O error (injected)");
    }
    return DelegatingStore::UpdatePosts(std::move(changes));
  }
  std::atomic<bool> failing{false};
  std::atomic<int> failed{0};
};

// Runs the io_context's handlers until `ready` or 30 s of real time.
bool RunUntil(boost::asio::io_context& io, std::future<void>& ready) {
  for (int i = 0; i < 3000; ++i) {
    if (ready.wait_for(milliseconds{0}) == std::future_status::ready) return true;
    io.run_for(milliseconds{10});
  }
  return false;
}

Instant At(const char* s) { return *ParseRfc3339(s); }

// Answers every publish as published, and tells the test it was called.
class RecordingConnector : public connectors::Connector {
 public:
  connectors::PublishResult Publish(const connectors::PublishRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (requests_.size() == 1) called_.set_value();
    return {connectors::PublishResult::Kind::kPublished, "remote-" + std::to_string(request.post_id),
            "https://example.test/" + std::to_string(request.post_id), std::nullopt, ""};
  }
  std::optional<connectors::PublishResult> Lookup(const connectors::PublishRequest&) override { return std::nullopt; }

  std::future<void> Called() { return called_.get_future(); }
  std::vector<connectors::PublishRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  std::vector<connectors::PublishRequest> requests_;
  std::promise<void> called_;
};

TEST_CASE("Runtime fires a due post through its connector, and a stop drains it before returning", "[runtime]") {
  char tmpl[] = "/tmp/herald-rt-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  FakeClock clock{At("2026-12-01T09:00:00Z")};
  {
    auto policy = policies::LoadPolicy(
        "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n    - id: acme-blog\n"
        "      platform: mastodon\n      connector: { type: file }\n"
        "frequency:\n  default:\n    min_spacing: 1h\n  max_delay: 48h\n  missed_after: 30m\n"
        "approval: { required: false }\n",
        "acme.yaml");
    REQUIRE(policy);
    auto store = storage::OpenStore("sqlite:" + dir + "/h.db");
    REQUIRE(store);
    Service service(**store, clock, {*policy}, [] {});
    REQUIRE(service.Start());
    CreatePostRequest request;
    request.account = "acme-blog";
    request.text = "due now";
    auto created = service.CreatePost({"acme", "mona", Role::kManager}, request);
    REQUIRE(created);
    REQUIRE(created->post.state == PostState::kScheduled);
    CreatePostRequest later = request;
    later.text = "due in an hour";
    auto waiting = service.CreatePost({"acme", "mona", Role::kManager}, later);
    REQUIRE(waiting);
    REQUIRE(waiting->post.planned_at == At("2026-12-01T10:00:00Z"));

    RecordingConnector connector;
    auto called = connector.Called();
    boost::asio::io_context io;
    Runtime runtime(io, service, clock, [&](const Post&) { return ConnectorFor{&connector, "mastodon"}; });
    runtime.Start();
    io.run_one();  // the first tick: claims what is due and hands it to the pool
    REQUIRE(called.wait_for(seconds{30}) == std::future_status::ready);

    bool stopped = false;
    runtime.Stop(milliseconds{30000}, [&] {
      stopped = true;
      io.stop();
    });
    io.run();
    CHECK(stopped);
    CHECK(runtime.in_flight() == 0);
    auto requests = connector.requests();
    REQUIRE(requests.size() == 1);  // the later post is not due
    CHECK(requests[0].post_id == created->post.id);
    auto published = service.GetPost({"acme", "mona", Role::kManager}, created->post.id);
    REQUIRE(published);
    CHECK(published->state == PostState::kPublished);
    CHECK(published->remote_id == "remote-" + std::to_string(created->post.id));
    auto still = service.GetPost({"acme", "mona", Role::kManager}, waiting->post.id);
    REQUIRE(still);
    CHECK(still->state == PostState::kScheduled);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("Runtime keeps ticking while wakes keep coming, so its heartbeat never goes stale", "[runtime]") {
  // Each wake re-arms the timer; before the tick was bounded by the last one
  // plus the heartbeat period, creates arriving faster than that period kept
  // the loop from ever ticking (and /healthz reported it dead).
  char tmpl[] = "/tmp/herald-rt-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  FakeClock clock{At("2026-12-01T09:00:00Z")};
  {
    auto policy = policies::LoadPolicy(
        "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n    - id: acme-blog\n"
        "      platform: mastodon\n      connector: { type: file }\n",
        "acme.yaml");
    REQUIRE(policy);
    auto store = storage::OpenStore("sqlite:" + dir + "/h.db");
    REQUIRE(store);
    Service service(**store, clock, {*policy}, [] {});
    REQUIRE(service.Start());
    RecordingConnector connector;
    boost::asio::io_context io;
    RuntimeOptions options;
    options.heartbeat = milliseconds{100};
    Runtime runtime(io, service, clock, [&](const Post&) { return ConnectorFor{&connector, "mastodon"}; }, options);
    runtime.Start();
    io.run_for(milliseconds{20});
    // 40 wakes 20 ms apart (well inside the 100 ms period) while the wall
    // clock moves a second per wake: only ticks refresh the heartbeat.
    for (int i = 0; i < 40; ++i) {
      clock.Advance(seconds{1});
      runtime.Wake();
      io.run_for(milliseconds{20});
    }
    Health health = service.CheckHealth(seconds{10});
    INFO((health.problems.empty() ? std::string() : health.problems.front()));
    CHECK(health.ok);
    bool stopped = false;
    runtime.Stop(milliseconds{1000}, [&] {
      stopped = true;
      io.stop();
    });
    io.run();
    CHECK(stopped);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("Runtime claims a post ahead of its time and hands it over only at that time", "[runtime]") {
  char tmpl[] = "/tmp/herald-rt-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  FakeClock clock{At("2026-12-01T09:00:00Z")};
  {
    auto policy = policies::LoadPolicy(kPolicy, "acme.yaml");
    REQUIRE(policy);
    auto store = storage::OpenStore("sqlite:" + dir + "/h.db");
    REQUIRE(store);
    Service service(**store, clock, {*policy}, [] {});
    REQUIRE(service.Start());
    CreatePostRequest request;
    request.account = "acme-blog";
    request.text = "at ten";
    request.at = At("2026-12-01T10:00:00Z");
    const Caller mona{"acme", "mona", Role::kManager};
    auto created = service.CreatePost(mona, request);
    REQUIRE(created);
    REQUIRE(created->post.planned_at == At("2026-12-01T10:00:00Z"));

    // 200 ms before its second, inside the 300 ms lead.
    clock.Set(At("2026-12-01T10:00:00Z") - milliseconds{200});
    RecordingConnector connector;
    auto called = connector.Called();
    boost::asio::io_context io;
    RuntimeOptions options;
    options.lead = milliseconds{300};
    Runtime runtime(io, service, clock, [&](const Post&) { return ConnectorFor{&connector, "mastodon"}; }, options);
    runtime.Start();
    io.run_one();  // the tick: claims it durably, then waits for its second

    auto claimed = service.GetPost(mona, created->post.id);
    REQUIRE(claimed);
    CHECK(claimed->state == PostState::kPublishing);
    CHECK(connector.requests().empty());
    CHECK(runtime.in_flight() == 1);  // a stop would wait for it

    clock.Set(At("2026-12-01T10:00:00Z"));
    REQUIRE(RunUntil(io, called));
    auto requests = connector.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].post_id == created->post.id);
    CHECK(requests[0].now >= At("2026-12-01T10:00:00Z"));

    bool stopped = false;
    runtime.Stop(milliseconds{30000}, [&] {
      stopped = true;
      io.stop();
    });
    io.run();
    CHECK(stopped);
    auto published = service.GetPost(mona, created->post.id);
    REQUIRE(published);
    CHECK(published->state == PostState::kPublished);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("Runtime backs off while claims fail, and publishes once the store recovers", "[runtime]") {
  char tmpl[] = "/tmp/herald-rt-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  FakeClock clock{At("2026-12-01T09:00:00Z")};
  {
    auto policy = policies::LoadPolicy(kPolicy, "acme.yaml");
    REQUIRE(policy);
    auto real = storage::OpenStore("sqlite:" + dir + "/h.db");
    REQUIRE(real);
    FailingWrites store(std::move(*real));
    Service service(store, clock, {*policy}, [] {});
    REQUIRE(service.Start());
    CreatePostRequest request;
    request.account = "acme-blog";
    request.text = "due now";
    auto created = service.CreatePost({"acme", "mona", Role::kManager}, request);
    REQUIRE(created);
    REQUIRE(created->post.state == PostState::kScheduled);

    store.failing = true;
    RecordingConnector connector;
    auto called = connector.Called();
    boost::asio::io_context io;
    RuntimeOptions options;
    options.heartbeat = milliseconds{10};
    options.maintain_every = milliseconds{3600000};
    Runtime runtime(io, service, clock, [&](const Post&) { return ConnectorFor{&connector, "mastodon"}; }, options);
    runtime.Start();
    // One second of real time with a 10 ms heartbeat: up to 100 ticks. The
    // backoff (100 ms doubling) allows tries at 0, 0.1, 0.3 and 0.7 s.
    io.run_for(seconds{1});
    const int tries = store.failed;
    CHECK(tries >= 1);
    CHECK(tries <= 5);
    CHECK(connector.requests().empty());

    store.failing = false;
    REQUIRE(RunUntil(io, called));
    CHECK(store.failed == tries);
    auto requests = connector.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].post_id == created->post.id);

    bool stopped = false;
    runtime.Stop(milliseconds{30000}, [&] {
      stopped = true;
      io.stop();
    });
    io.run();
    CHECK(stopped);
    auto published = service.GetPost({"acme", "mona", Role::kManager}, created->post.id);
    REQUIRE(published);
    CHECK(published->state == PostState::kPublished);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace herald::runtime
