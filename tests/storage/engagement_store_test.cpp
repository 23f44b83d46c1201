// The Store contract for engagement reads, on every store: a read of a
// schedule point is claimed once (a conditional write), finished or deferred
// only by its claimant, listed per post and organisation, rolled up by the
// latest counts, and what remains due survives a reopen.
#include "storage/store.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "tests/storage/store_testing.h"

namespace herald::storage {
namespace {

using namespace std::chrono;
using testing::Day;
using testing::NewPost;
using testing::StoreFactories;
using testing::StoreFactory;
using testing::TempDir;

const Instant kPublished = Day(3, 2, 9);

Post Published(Store& store, std::string org, std::string account, std::vector<std::string> labels = {}) {
  Post p = NewPost(std::move(org), std::move(account), "hello");
  p.state = PostState::kPublished;
  p.planned_at = kPublished;
  p.published_at = kPublished;
  p.remote_id = "109000000000000001";
  p.remote_url = "https://example.social/@acme/109000000000000001";
  p.labels = std::move(labels);
  auto created = store.CreatePost(p, {}, std::nullopt);
  REQUIRE(created);
  return *created;
}

EngagementClaim Claim(const Post& p, int point, std::string process, Instant now) {
  return {p.organization, p.id, point, std::move(process), now + minutes{2}, now};
}

EngagementRead Read(const Post& p, int point, Instant at, int64_t likes) {
  EngagementRead r{p.id, p.organization, point, at, EngagementOutcome::kRead, {}, ""};
  r.counts.replies = 1;
  r.counts.reposts = 2;
  r.counts.likes = likes;
  return r;
}

TEST_CASE("Store claims an engagement read once and keeps its result as a point of the series",
          "[store][engagement]") {
  EACH_STORE();
  Post post = Published(*store, "acme", "acme-toot");
  const Instant now = kPublished + hours{1};

  auto targets = store->EngagementTargets(kPublished - days{1}, 5, 100);
  REQUIRE(targets);
  REQUIRE(targets->size() == 1);
  CHECK(targets->at(0).post_id == post.id);
  CHECK(targets->at(0).remote_id == post.remote_id);
  CHECK(targets->at(0).published_at == kPublished);
  CHECK_FALSE(targets->at(0).last_point);

  auto first = store->ClaimEngagementRead(Claim(post, 0, "daemon-a", now));
  REQUIRE(first);
  CHECK(*first);
  auto second = store->ClaimEngagementRead(Claim(post, 0, "daemon-b", now));
  REQUIRE(second);
  CHECK_FALSE(*second);  // daemon-a holds it

  // Only the claimant stores the result.
  auto stranger = store->FinishEngagementRead(Read(post, 0, now, 7), "daemon-b");
  REQUIRE_FALSE(stranger);
  CHECK(stranger.error().code() == Code::kFailedPrecondition);
  REQUIRE(store->FinishEngagementRead(Read(post, 0, now, 7), "daemon-a"));
  // Finished: nobody claims that point again, however late.
  auto again = store->ClaimEngagementRead(Claim(post, 0, "daemon-b", now + days{1}));
  REQUIRE(again);
  CHECK_FALSE(*again);

  auto series = store->ListEngagement("acme", post.id);
  REQUIRE(series);
  REQUIRE(series->size() == 1);
  CHECK(series->at(0) == Read(post, 0, now, 7));
  CHECK_FALSE(series->at(0).counts.quotes);  // not reported stays not reported, not 0

  targets = store->EngagementTargets(kPublished - days{1}, 5, 100);
  REQUIRE(targets);
  REQUIRE(targets->size() == 1);
  CHECK(targets->at(0).last_point == 0);
}

TEST_CASE("Store lets an engagement claim be taken over only after it ends, and deferred by its holder",
          "[store][engagement]") {
  EACH_STORE();
  Post post = Published(*store, "acme", "acme-toot");
  const Instant now = kPublished + hours{1};
  REQUIRE(store->ClaimEngagementRead(Claim(post, 0, "daemon-a", now)).value());
  CHECK_FALSE(store->ClaimEngagementRead(Claim(post, 0, "daemon-b", now + minutes{1})).value());
  // daemon-a died: its claim ends, daemon-b takes the point, daemon-a's late answer is refused.
  CHECK(store->ClaimEngagementRead(Claim(post, 0, "daemon-b", now + minutes{3})).value());
  CHECK(store->FinishEngagementRead(Read(post, 0, now, 1), "daemon-a").error().code() == Code::kFailedPrecondition);

  // A 429: the holder keeps the point until the reset; nobody reads it before.
  REQUIRE(store->DeferEngagementRead(post.id, 0, "daemon-b", now + minutes{30}, "rate limit"));
  CHECK_FALSE(store->ClaimEngagementRead(Claim(post, 0, "daemon-a", now + minutes{29})).value());
  CHECK(store->ClaimEngagementRead(Claim(post, 0, "daemon-a", now + minutes{30})).value());
  CHECK(store->DeferEngagementRead(post.id, 0, "daemon-b", now, "x").error().code() == Code::kFailedPrecondition);
  // A claimed point is not part of the series.
  CHECK(store->ListEngagement("acme", post.id)->empty());
}

TEST_CASE("Only one of concurrent claims of an engagement read wins", "[store][engagement]") {
  EACH_STORE();
  Post post = Published(*store, "acme", "acme-toot");
  std::atomic<int> won{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = store->ClaimEngagementRead(Claim(post, 1, "daemon-" + std::to_string(i), kPublished + hours{6}));
      if (!r) ++failed;
      else if (*r) ++won;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failed == 0);
  CHECK(won == 1);
}

TEST_CASE("Store stops offering a post that is gone or fully read", "[store][engagement]") {
  EACH_STORE();
  Post gone = Published(*store, "acme", "acme-toot");
  Post done = Published(*store, "acme", "acme-toot");
  Post fresh = Published(*store, "acme", "acme-toot");
  Post draft = store->CreatePost(NewPost("acme", "acme-toot", "not published"), {}, std::nullopt).value();
  const Instant now = kPublished + days{8};
  REQUIRE(store->ClaimEngagementRead(Claim(gone, 0, "d", now)).value());
  EngagementRead deleted{gone.id, "acme", 0, now, EngagementOutcome::kGone, {}, "mastodon: HTTP 404: Record not found"};
  REQUIRE(store->FinishEngagementRead(deleted, "d"));
  REQUIRE(store->ClaimEngagementRead(Claim(done, 1, "d", now)).value());
  REQUIRE(store->FinishEngagementRead(Read(done, 1, now, 3), "d"));

  auto targets = store->EngagementTargets(kPublished - days{1}, 2, 100);
  REQUIRE(targets);
  REQUIRE(targets->size() == 1);
  CHECK(targets->at(0).post_id == fresh.id);
  CHECK(draft.state == PostState::kPendingApproval);
  // Published before `since`: too old to read.
  CHECK(store->EngagementTargets(kPublished + seconds{1}, 2, 100)->empty());

  auto series = store->ListEngagement("acme", gone.id);
  REQUIRE(series);
  REQUIRE(series->size() == 1);
  CHECK(series->at(0).outcome == EngagementOutcome::kGone);
  CHECK(series->at(0).detail == "mastodon: HTTP 404: Record not found");
}

TEST_CASE("Store keeps engagement series of organisations apart and rolls up the latest counts",
          "[store][engagement]") {
  EACH_STORE();
  Post promo = Published(*store, "acme", "acme-toot", {"promo"});
  Post news = Published(*store, "acme", "acme-sky", {"news"});
  Post theirs = Published(*store, "globex", "globex-toot");
  const Instant t1 = kPublished + hours{1}, t2 = kPublished + hours{6};
  for (const Post* p : {&promo, &news, &theirs}) {
    REQUIRE(store->ClaimEngagementRead(Claim(*p, 0, "d", t1)).value());
    REQUIRE(store->FinishEngagementRead(Read(*p, 0, t1, 10), "d"));
  }
  REQUIRE(store->ClaimEngagementRead(Claim(promo, 1, "d", t2)).value());
  REQUIRE(store->FinishEngagementRead(Read(promo, 1, t2, 30), "d"));

  auto other = store->ListEngagement("globex", promo.id);
  REQUIRE_FALSE(other);
  CHECK(other.error().code() == Code::kNotFound);
  auto series = store->ListEngagement("acme", promo.id);
  REQUIRE(series);
  REQUIRE(series->size() == 2);
  CHECK(series->at(0).counts.likes == 10);
  CHECK(series->at(1).counts.likes == 30);

  auto samples = store->EngagementSamples({"acme", std::nullopt, kPublished, kPublished + days{1}});
  REQUIRE(samples);
  REQUIRE(samples->size() == 2);
  CHECK(samples->at(0).post_id == promo.id);
  CHECK(samples->at(0).labels == std::vector<std::string>{"promo"});
  CHECK(samples->at(0).latest.likes == 30);  // the latest read, not the first
  CHECK(samples->at(1).account == "acme-sky");
  auto one_account = store->EngagementSamples({"acme", std::string("acme-sky"), kPublished, kPublished + days{1}});
  REQUIRE(one_account);
  REQUIRE(one_account->size() == 1);
  CHECK(one_account->at(0).post_id == news.id);
  CHECK(store->EngagementSamples({"acme", std::nullopt, kPublished + seconds{1}, kPublished + days{1}})->empty());
  CHECK(store->EngagementSamples({"", std::nullopt, kPublished, kPublished + days{1}}).error().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("Engagement reads survive reopening the store", "[store][engagement]") {
  EACH_STORE();
  Post post = Published(*store, "acme", "acme-toot");
  REQUIRE(store->ClaimEngagementRead(Claim(post, 0, "d", kPublished + hours{1})).value());
  REQUIRE(store->FinishEngagementRead(Read(post, 0, kPublished + hours{1}, 4), "d"));
  store.reset();
  store = testing::OpenIn(factory, dir);
  auto targets = store->EngagementTargets(kPublished - days{1}, 5, 100);
  REQUIRE(targets);
  REQUIRE(targets->size() == 1);
  CHECK(targets->at(0).last_point == 0);
  CHECK(store->ListEngagement("acme", post.id)->size() == 1);
}

}  // namespace
}  // namespace herald::storage
