// EngagementReader over a real Service and SQLite store, with a fake clock
// moved by hand and a connector answering engagement reads from a script:
// reads come at the schedule's points and only then, once per point (across
// two readers on one store, and across a restart), 429s back off, and no round
// starts while a publish is due.
#include "scheduler/runtime/engagement_reader.h"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "policies/loader.h"
#include "tests/support/fake_clock.h"

namespace herald::runtime {
namespace {

using namespace std::chrono;
using connectors::EngagementResult;
using testing::FakeClock;

const Caller kMona{"acme", "mona", Role::kManager};
const Instant kStart = *ParseRfc3339("2026-11-23T10:00:00Z");

// Publishes nothing; answers engagement reads from a script (counts with
// likes = the number of the read when the script is spent).
class EngagementConnector : public connectors::Connector {
 public:
  connectors::PublishResult Publish(const connectors::PublishRequest&) override {
    connectors::PublishResult r;
    r.remote_id = "109000000000000001";
    return r;
  }
  std::optional<connectors::PublishResult> Lookup(const connectors::PublishRequest&) override { return std::nullopt; }
  EngagementResult ReadEngagement(const connectors::EngagementRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (!script_.empty()) {
      auto next = script_.front();
      script_.pop_front();
      return next;
    }
    EngagementResult r{EngagementResult::Kind::kRead, {}, std::nullopt, {}, 200, std::nullopt};
    r.counts.likes = static_cast<int64_t>(requests_.size());
    return r;
  }
  bool ReadsEngagement() const override { return true; }
  void Then(EngagementResult r) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(r));
  }
  size_t reads() {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  connectors::EngagementRequest last() {
    std::lock_guard lock(mu_);
    return requests_.back();
  }

 private:
  std::mutex mu_;
  std::deque<EngagementResult> script_;
  std::vector<connectors::EngagementRequest> requests_;
};

struct Fixture {
  Fixture() : clock(kStart) {
    char tmpl[] = "/tmp/herald-engagement-XXXXXX";
    dir = mkdtemp(tmpl);
    auto loaded = policies::LoadPolicy(
        "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n    - id: acme-toot\n"
        "      platform: mastodon\n      connector: { type: file }\n"
        "frequency:\n  default:\n    min_spacing: 0s\n  max_delay: 48h\n  missed_after: 30m\n"
        "approval: { required: false }\n",
        "acme.yaml");
    REQUIRE(loaded);
    policy = *loaded;
    Open();
  }
  ~Fixture() {
    readers.clear();
    service.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  // (Re)opens the store, a Service and a reader named `process`: a restart.
  void Open(const std::string& process = "a") {
    readers.clear();
    service.reset();
    store.reset();
    auto opened = storage::OpenStore("sqlite:" + dir + "/h.db");
    REQUIRE(opened);
    store = std::move(*opened);
    ServiceOptions options;
    options.engagement = scheduler::EngagementSchedule{{hours{1}, hours{6}}};
    service = std::make_unique<Service>(*store, clock, std::vector<policies::Policy>{policy}, [] {}, options);
    REQUIRE(service->Start());
    AddReader(process);
  }
  EngagementReader& AddReader(const std::string& process) {
    EngagementReaderOptions options;
    options.process = process;
    readers.push_back(std::make_unique<EngagementReader>(
        io, *service, *store, clock, [this](const Post&) { return ConnectorFor{&connector, "mastodon"}; },
        [] { return int64_t{0}; }, options));
    return *readers.back();
  }
  // A post published now.
  Post Publish(std::optional<Instant> at = std::nullopt) {
    CreatePostRequest request;
    request.account = "acme-toot";
    request.text = "post " + std::to_string(++posts);
    request.at = at;
    auto created = service->CreatePost(kMona, request);
    REQUIRE(created);
    if (at) return created->post;
    auto claimed = service->ClaimDue(clock.Now());
    REQUIRE(claimed);
    REQUIRE(claimed->size() == 1);
    connectors::PublishResult ok;
    ok.remote_id = "1090000000000000" + std::to_string(10 + posts);
    auto settled = service->Settle(created->post.id, ok);
    REQUIRE(settled);
    REQUIRE(settled->state == PostState::kPublished);
    return *settled;
  }
  EngagementSeries Series(int64_t id) {
    auto s = service->Engagement(kMona, id);
    REQUIRE(s);
    return *s;
  }

  std::string dir;
  FakeClock clock;
  policies::Policy policy;
  boost::asio::io_context io;
  EngagementConnector connector;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Service> service;
  std::vector<std::unique_ptr<EngagementReader>> readers;
  int posts = 0;
};

TEST_CASE("Engagement reader reads at the schedule's points and stops after the last", "[engagement][reader]") {
  Fixture f;
  Post post = f.Publish();
  CHECK(f.readers[0]->RunRound() == 0);  // nothing due before 1h
  f.clock.Advance(hours{1});
  CHECK(f.readers[0]->RunRound() == 1);
  CHECK(f.connector.last().remote_id == post.remote_id);
  CHECK(f.readers[0]->RunRound() == 0);  // point 0 is done
  auto series = f.Series(post.id);
  REQUIRE(series.reads.size() == 1);
  CHECK(series.reads[0].point == 0);
  CHECK(series.reads[0].counts.likes == 1);
  CHECK(series.next_read == kStart + hours{6});
  f.clock.Advance(hours{5});
  CHECK(f.readers[0]->RunRound() == 1);
  f.clock.Advance(days{3});
  CHECK(f.readers[0]->RunRound() == 0);
  series = f.Series(post.id);
  REQUIRE(series.reads.size() == 2);
  CHECK(series.reads[1].counts.likes == 2);
  CHECK_FALSE(series.next_read);
  CHECK(f.connector.reads() == 2);
  auto metrics = f.service->CurrentMetrics();
  CHECK(metrics.engagement_reads[{"mastodon", "read"}] == 2);
}

TEST_CASE("Engagement reader backs off on a 429 and reads the point once the reset passed", "[engagement][reader]") {
  Fixture f;
  Post post = f.Publish();
  f.clock.Advance(hours{1});
  f.connector.Then({EngagementResult::Kind::kRetryLater, {}, kStart + hours{1} + minutes{15}, "mastodon rate limit", 429,
                    std::nullopt});
  CHECK(f.readers[0]->RunRound() == 1);
  CHECK(f.Series(post.id).reads.empty());
  f.clock.Advance(minutes{14});
  CHECK(f.readers[0]->RunRound() == 0);  // held until the reset
  CHECK(f.connector.reads() == 1);
  f.clock.Advance(minutes{1});
  CHECK(f.readers[0]->RunRound() == 1);
  auto series = f.Series(post.id);
  REQUIRE(series.reads.size() == 1);
  CHECK(series.reads[0].point == 0);
  CHECK(f.service->CurrentMetrics().engagement_reads[{"mastodon", "retry_later"}] == 1);
}

TEST_CASE("Engagement reader records a post deleted upstream and reads it no more", "[engagement][reader]") {
  Fixture f;
  Post post = f.Publish();
  f.clock.Advance(hours{1});
  f.connector.Then({EngagementResult::Kind::kGone, {}, std::nullopt, "mastodon: HTTP 404", 404, std::nullopt});
  CHECK(f.readers[0]->RunRound() == 1);
  f.clock.Advance(hours{6});
  CHECK(f.readers[0]->RunRound() == 0);
  auto series = f.Series(post.id);
  REQUIRE(series.reads.size() == 1);
  CHECK(series.reads[0].outcome == EngagementOutcome::kGone);
  CHECK(series.gone);
  CHECK_FALSE(series.next_read);
}

TEST_CASE("Two engagement readers on one store make each read once", "[engagement][reader]") {
  Fixture f;
  f.Publish();
  f.Publish();
  EngagementReader& other = f.AddReader("b");
  f.clock.Advance(hours{1});
  int a = 0, b = 0;
  std::thread ta([&] { a = f.readers[0]->RunRound(); });
  std::thread tb([&] { b = other.RunRound(); });
  ta.join();
  tb.join();
  CHECK(a + b == 2);
  CHECK(f.connector.reads() == 2);
}

TEST_CASE("Engagement reader takes the schedule up from the store after a restart", "[engagement][reader]") {
  Fixture f;
  Post post = f.Publish();
  f.clock.Advance(hours{1});
  CHECK(f.readers[0]->RunRound() == 1);
  f.Open("after-restart");
  CHECK(f.readers[0]->RunRound() == 0);  // point 0 is stored as done
  f.clock.Advance(days{2});              // down past point 1: read once, late
  CHECK(f.readers[0]->RunRound() == 1);
  CHECK(f.readers[0]->RunRound() == 0);
  auto series = f.Series(post.id);
  REQUIRE(series.reads.size() == 2);
  CHECK(series.reads[1].point == 1);
}

TEST_CASE("Engagement reader starts no round while a publish is due", "[engagement][reader]") {
  Fixture f;
  f.Publish();
  f.clock.Advance(hours{1});
  f.Publish(f.clock.Now() + seconds{2});  // due in 2 s
  CHECK(f.readers[0]->RunRound() == 0);
  CHECK(f.connector.reads() == 0);
  f.clock.Advance(seconds{30});  // that post is overdue now: still publishing's turn
  CHECK(f.readers[0]->RunRound() == 0);
}

TEST_CASE("Engagement reader leaves a paused account alone until the pause ends", "[engagement][reader]") {
  Fixture f;
  Post post = f.Publish();
  f.clock.Advance(hours{1});
  // A publish on the same account hits the platform's limit: the account is
  // paused for 30 minutes, and reads wait as publishes do.
  CreatePostRequest request;
  request.account = "acme-toot";
  request.text = "limited";
  auto limited = f.service->CreatePost(kMona, request);
  REQUIRE(limited);
  REQUIRE(f.service->ClaimDue(f.clock.Now()));
  connectors::PublishResult hit{connectors::PublishResult::Kind::kRetryLater, {}, {}, f.clock.Now() + minutes{30},
                                "mastodon rate limit"};
  hit.hold = connectors::RateLimitHold{f.clock.Now() + minutes{30}, "mastodon rate limit: 0 of 300 left"};
  REQUIRE(f.service->Settle(limited->post.id, hit));
  REQUIRE(f.service->PausedUntil("acme-toot", f.clock.Now()));
  CHECK(f.readers[0]->RunRound() == 0);
  CHECK(f.connector.reads() == 0);
  // The held post is withdrawn, so no publish is due when the pause ends.
  REQUIRE(f.service->Cancel(kMona, limited->post.id, "not needed"));
  f.clock.Advance(minutes{29});
  CHECK(f.readers[0]->RunRound() == 0);
  f.clock.Advance(minutes{1});
  CHECK(f.readers[0]->RunRound() == 1);
  CHECK(f.Series(post.id).reads.size() == 1);
}

}  // namespace
}  // namespace herald::runtime
