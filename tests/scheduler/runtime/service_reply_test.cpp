// Replies through the Service over a real SQLite store and a fake clock:
// a reply is a post of kind reply on the item's account, created by
// CreatePost's path with the department's approval; the content rules refuse
// it without keeping it; the policy's caps do not hold it; its settle moves
// the item (answered when published, as it was when it fails or is
// rejected); the department's answer list, dismissal and organisations gate it.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>

#include "policies/loader.h"
#include "scheduler/runtime/service.h"
#include "tests/support/fake_clock.h"

namespace herald::runtime {
namespace {

using namespace std::chrono;
using testing::FakeClock;

const Caller kEd{"acme", "ed", Role::kEditor};
const Caller kMona{"acme", "mona", Role::kManager};
const Caller kCounsel{"acme", "counsel", Role::kViewer};
const Instant kStart = *ParseRfc3339("2026-11-23T10:00:00Z");

constexpr const char* kPolicy =
    "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n    - id: acme-toot\n"
    "      platform: mastodon\n      connector: { type: file }\n"
    "frequency:\n  default:\n    min_spacing: 1h\n    caps: [ { max: 1, per: day } ]\n"
    "content:\n  banned_terms: [RivalCorp]\n"
    "approval: { required: true, approvers: [manager, admin], four_eyes: false }\n"
    "inbox:\n  departments:\n"
    "    - { name: legal, keywords: [lawyer], approval: required, answer: ['token:counsel'] }\n"
    "    - { name: support, approval: none }\n"
    "  default: support\n";

struct Fixture {
  Fixture() : clock(kStart) {
    char tmpl[] = "/tmp/herald-reply-XXXXXX";
    dir = mkdtemp(tmpl);
    auto loaded = policies::LoadPolicy(kPolicy, "acme.yaml");
    REQUIRE(loaded);
    store = std::move(*storage::OpenStore("sqlite:" + dir + "/h.db"));
    service = std::make_unique<Service>(*store, clock, std::vector<policies::Policy>{*loaded}, [] {}, ServiceOptions{});
    REQUIRE(service->Start());
  }
  ~Fixture() {
    service.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  // An item read from the account, routed to `department`.
  int64_t Item(const std::string& remote_id, const std::string& department) {
    storage::InboxItem item;
    item.organization = "acme";
    item.account = "acme-toot";
    item.message.remote_id = remote_id;
    item.message.kind = InboxKind::kMention;
    item.message.author = "@bob@example.social";
    item.message.text = "hello";
    item.message.created_at = kStart;
    item.message.reply_ref = "status-" + remote_id;
    item.department = department;
    item.received_at = kStart;
    item.due_at = kStart + hours{4};
    REQUIRE(store->ClaimInboxRead({"acme", "acme-toot", "t", clock.Now() + minutes{1}, clock.Now()}).value());
    auto saved = store->SaveInboxPage({"acme", "acme-toot", "t", {item}, remote_id});
    REQUIRE(saved);
    REQUIRE(store->ReleaseInboxRead("acme", "acme-toot", "t", clock.Now(), ""));
    return saved->front().id;
  }
  CreatePostRequest Text(std::string text, std::optional<std::string> key = std::nullopt) {
    CreatePostRequest r;
    r.text = std::move(text);
    r.idempotency_key = std::move(key);
    r.request_hash = "h";
    return r;
  }
  // Publishes whatever is due now with `outcome`.
  std::vector<Post> PublishDue(connectors::PublishResult outcome) {
    std::vector<Post> out;
    auto due = service->ClaimDue(clock.Now());
    if (!due) FAIL("claim: " << due.error().ToString());
    for (const Post& p : *due) {
      auto settled = service->Settle(p.id, outcome);
      if (!settled) FAIL("settle of post " << p.id << ": " << settled.error().ToString());
      out.push_back(*settled);
    }
    return out;
  }

  FakeClock clock;
  std::string dir;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Service> service;
};

connectors::PublishResult Published(std::string id) {
  connectors::PublishResult r;
  r.kind = connectors::PublishResult::Kind::kPublished;
  r.remote_id = std::move(id);
  r.attempted = true;
  return r;
}

connectors::PublishResult Failed(std::string why) {
  connectors::PublishResult r;
  r.kind = connectors::PublishResult::Kind::kFailed;
  r.why = std::move(why);
  r.attempted = true;
  return r;
}

TEST_CASE("Service: a reply goes out at once though the policy's cap is full, and answers its item", "[service][reply]") {
  Fixture f;
  // Today's one post, approved and published: the daily cap and the spacing are spent.
  auto post = f.service->CreatePost(kEd, [&] {
    auto r = f.Text("our launch");
    r.account = "acme-toot";
    return r;
  }());
  REQUIRE(post);
  REQUIRE(f.service->Approve(kMona, post->post.id));
  REQUIRE(f.PublishDue(Published("500")).size() == 1);

  int64_t item = f.Item("9001", "support");
  REQUIRE(f.service->AssignInboxItem(kMona, item, "ed"));
  auto reply = f.service->ReplyToInboxItem(kEd, item, f.Text("We are on it, Bob"));
  REQUIRE(reply);
  CHECK(reply->outcome == CreateOutcome::kCreated);
  const Post& r = reply->post;
  CHECK(r.kind() == PostKind::kReply);
  CHECK(r.answers_item == item);
  CHECK(r.reply_to == "status-9001");
  CHECK(r.account == "acme-toot");
  CHECK(r.state == PostState::kScheduled);  // support answers without approval
  CHECK(*r.planned_at == kStart);           // the cap and the spacing do not hold it
  CHECK(r.reasons.empty());

  auto waiting = f.service->GetInboxItem(kEd, item).value();
  CHECK(waiting.item.state == InboxState::kAssigned);
  CHECK(waiting.item.reply_post_id == r.id);
  CHECK(waiting.reply_state == PostState::kScheduled);

  // An ordinary post still waits for tomorrow: the reply did not take its place.
  auto next = f.service->CreatePost(kEd, [&] {
    auto q = f.Text("tomorrow's post");
    q.account = "acme-toot";
    return q;
  }());
  REQUIRE(next);
  CHECK(*next->post.planned_at == *ParseRfc3339("2026-11-24T00:00:00Z"));

  auto sent = f.PublishDue(Published("9100"));
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].id == r.id);
  auto answered = f.service->GetInboxItem(kEd, item).value();
  CHECK(answered.item.state == InboxState::kAnswered);
  CHECK(answered.reply_state == PostState::kPublished);
  Metrics m = f.service->CurrentMetrics();
  CHECK(m.inbox_items[{"acme", "support", "answered"}] == 1);

  // A follow-up on an answered item is allowed.
  auto follow_up = f.service->ReplyToInboxItem(kEd, item, f.Text("Shipped today"));
  REQUIRE(follow_up);
  CHECK(follow_up->post.state == PostState::kScheduled);
}

TEST_CASE("Service: a reply the content rules refuse is not kept", "[service][reply]") {
  Fixture f;
  int64_t item = f.Item("9001", "support");
  auto refused = f.service->ReplyToInboxItem(kEd, item, f.Text("Try RivalCorp instead"));
  REQUIRE(refused);
  CHECK(refused->outcome == CreateOutcome::kRefused);
  CHECK(refused->post.id == 0);
  REQUIRE_FALSE(refused->post.reasons.empty());
  CHECK(refused->post.reasons[0].rule == "content.banned_term");
  CHECK(f.service->ListPosts(kEd, {"acme"}).value().empty());
  auto view = f.service->GetInboxItem(kEd, item).value();
  CHECK(view.item.state == InboxState::kOpen);
  CHECK_FALSE(view.item.reply_post_id);
}

TEST_CASE("Service: a department with approval holds the reply, and a rejection leaves the item as it was",
          "[service][reply]") {
  Fixture f;
  int64_t item = f.Item("9001", "legal");
  // legal is answered by the counsel token only (a viewer's role, named).
  auto denied = f.service->ReplyToInboxItem(kEd, item, f.Text("Hi"));
  REQUIRE_FALSE(denied);
  CHECK(denied.error().code() == Code::kPermissionDenied);
  CHECK_THAT(denied.error().message(), Catch::Contains("legal"));

  auto first = f.service->ReplyToInboxItem(kCounsel, item, f.Text("Our lawyer will write to you"));
  REQUIRE(first);
  CHECK(first->post.state == PostState::kPendingApproval);
  REQUIRE(f.service->Reject(kMona, first->post.id, "too formal"));
  auto after = f.service->GetInboxItem(kMona, item).value();
  CHECK(after.item.state == InboxState::kOpen);
  CHECK(after.reply_state == PostState::kRejected);
  CHECK(after.reply_failure == "too formal");

  auto second = f.service->ReplyToInboxItem(kCounsel, item, f.Text("We will reply by mail"));
  REQUIRE(second);
  auto approved = f.service->Approve(kMona, second->post.id);
  REQUIRE(approved);
  CHECK(approved->state == PostState::kScheduled);
  REQUIRE(f.PublishDue(Published("9200")).size() == 1);
  CHECK(f.service->GetInboxItem(kMona, item).value().item.state == InboxState::kAnswered);
}

TEST_CASE("Service: a failed reply leaves the item assigned and shows why", "[service][reply]") {
  Fixture f;
  int64_t item = f.Item("9001", "support");
  REQUIRE(f.service->AssignInboxItem(kMona, item, "ed"));
  REQUIRE(f.service->ReplyToInboxItem(kEd, item, f.Text("On it")));
  REQUIRE(f.PublishDue(Failed("mastodon: 422 Validation failed")).size() == 1);
  auto view = f.service->GetInboxItem(kEd, item).value();
  CHECK(view.item.state == InboxState::kAssigned);
  CHECK(view.item.assignee == "ed");
  CHECK(view.reply_state == PostState::kFailed);
  CHECK_THAT(view.reply_failure, Catch::Contains("Validation failed"));
}

TEST_CASE("Service: replies to dismissed or foreign items, and replays", "[service][reply]") {
  Fixture f;
  int64_t item = f.Item("9001", "support");
  CHECK(f.service->ReplyToInboxItem({"globex", "gus", Role::kAdmin}, item, f.Text("x")).error().code() ==
        Code::kNotFound);
  CHECK(f.service->ReplyToInboxItem({"acme", "vic", Role::kViewer}, item, f.Text("x")).error().code() ==
        Code::kPermissionDenied);

  auto once = f.service->ReplyToInboxItem(kEd, item, f.Text("Thanks", "key-1"));
  REQUIRE(once);
  auto again = f.service->ReplyToInboxItem(kEd, item, f.Text("Thanks", "key-1"));
  REQUIRE(again);
  CHECK(again->outcome == CreateOutcome::kReplayed);
  CHECK(again->post.id == once->post.id);
  CHECK(f.service->ListPosts(kEd, {"acme"}).value().size() == 1);

  REQUIRE(f.service->Cancel(kMona, once->post.id, "not needed"));
  REQUIRE(f.service->DismissInboxItem(kMona, item, "spam"));
  auto dismissed = f.service->ReplyToInboxItem(kEd, item, f.Text("Hello?"));
  REQUIRE_FALSE(dismissed);
  CHECK(dismissed.error().code() == Code::kFailedPrecondition);
  // The replay still answers with its reply.
  auto replay = f.service->ReplyToInboxItem(kEd, item, f.Text("Thanks", "key-1"));
  REQUIRE(replay);
  CHECK(replay->post.id == once->post.id);
}

}  // namespace
}  // namespace herald::runtime
