// The Store contract for replies (posts that answer an inbox item), on every
// store: the post keeps what marks it a reply; creating one links its item
// in the same transaction (and is refused for a dismissed item or one of
// another account); its publish makes the item answered, audited with who
// answered; a reply that ends unpublished leaves the item's state alone.
#include <catch2/catch.hpp>

#include <algorithm>

#include "storage/store.h"
#include "tests/storage/store_testing.h"

namespace herald::storage {
namespace {

using namespace std::chrono;
using testing::Day;
using testing::NewPost;

const Instant kNow = Day(3, 2, 9);

InboxItem SavedItem(Store& store, const std::string& account, const std::string& remote_id) {
  InboxItem item;
  item.organization = "acme";
  item.account = account;
  item.message.remote_id = remote_id;
  item.message.kind = InboxKind::kMention;
  item.message.author = "@bob@example.social";
  item.message.text = "where is my order?";
  item.message.created_at = kNow - minutes{5};
  item.message.reply_ref = "ref-" + remote_id;
  item.department = "support";
  item.received_at = kNow;
  item.due_at = kNow + hours{4};
  REQUIRE(store.ClaimInboxRead({"acme", account, "d", kNow + minutes{2}, kNow}).value());
  auto saved = store.SaveInboxPage({"acme", account, "d", {item}, "c-" + remote_id});
  REQUIRE(saved);
  REQUIRE(saved->size() == 1);
  return saved->front();
}

Post Reply(const InboxItem& item, PostState state = PostState::kScheduled) {
  Post p = NewPost("acme", item.account, "We are on it, Bob");
  p.author = "sam";
  p.answers_item = item.id;
  p.reply_to = item.message.reply_ref;
  p.state = state;
  p.planned_at = kNow;
  p.created_at = p.updated_at = kNow;
  return p;
}

std::vector<std::string> Actions(Store& store) {
  std::vector<std::string> out;
  auto audit = store.ListAudit({"acme"});  // kept: a range over a temporary's value() would dangle
  REQUIRE(audit);
  for (const auto& e : *audit) out.push_back(e.action + " by " + e.actor);
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("Store keeps a reply's item and reference and links the item", "[store][inbox][reply]") {
  EACH_STORE();
  InboxItem item = SavedItem(*store, "acme-toot", "9001");
  auto created = store->CreatePost(Reply(item), {}, std::nullopt);
  REQUIRE(created);
  CHECK(created->kind() == PostKind::kReply);
  auto stored = store->GetPost("acme", created->id);
  REQUIRE(stored);
  CHECK(*stored == *created);
  CHECK(stored->answers_item == item.id);
  CHECK(stored->reply_to == "ref-9001");
  // An ordinary post stays one.
  auto plain = store->CreatePost(NewPost("acme", "acme-toot", "hello"), {}, std::nullopt);
  REQUIRE(plain);
  CHECK_FALSE(store->GetPost("acme", plain->id)->answers_item);
  CHECK(store->GetPost("acme", plain->id)->reply_to.empty());

  auto linked = store->GetInboxItem("acme", item.id).value();
  CHECK(linked.reply_post_id == created->id);
  CHECK(linked.state == InboxState::kOpen);  // answered only once published
  CHECK(linked.version == item.version + 1);
  CHECK(Actions(*store) == std::vector<std::string>{"inbox_reply by sam"});
  // Found by the reply, and after reopening the store.
  CHECK(store->FindInboxItemByReply("acme", created->id).value()->id == item.id);
  store.reset();
  auto again = testing::OpenIn(factory, dir);
  CHECK(again->GetPost("acme", created->id).value() == *created);
}

TEST_CASE("Store refuses a reply to a dismissed item or to another account's item", "[store][inbox][reply]") {
  EACH_STORE();
  InboxItem item = SavedItem(*store, "acme-toot", "9001");
  SECTION("dismissed") {
    InboxItem dismissed = item;
    dismissed.state = InboxState::kDismissed;
    REQUIRE(store->UpdateInboxItem(dismissed, {}));
    auto refused = store->CreatePost(Reply(item), {}, std::nullopt);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code() == Code::kFailedPrecondition);
  }
  SECTION("another account") {
    Post wrong = Reply(item);
    wrong.account = "acme-bsky";
    auto refused = store->CreatePost(wrong, {}, std::nullopt);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code() == Code::kFailedPrecondition);
  }
  // Nothing of it was kept.
  CHECK(store->ListPosts({"acme"}).value().empty());
  CHECK_FALSE(store->GetInboxItem("acme", item.id).value().reply_post_id);
}

TEST_CASE("A published reply makes its item answered, and a failed one leaves it as it was", "[store][inbox][reply]") {
  EACH_STORE();
  InboxItem item = SavedItem(*store, "acme-toot", "9001");
  InboxItem assigned = item;
  assigned.state = InboxState::kAssigned;
  assigned.assignee = "sam";
  REQUIRE(store->UpdateInboxItem(assigned, {}));

  Post first = store->CreatePost(Reply(item), {}, std::nullopt).value();
  first.state = PostState::kFailed;
  first.failure = "mastodon: 422 text too long";
  first.updated_at = kNow + minutes{1};
  REQUIRE(store->UpdatePosts({{first, {AuditEntry{0, "acme", kNow, "herald", "publish_failed", first.id, "{}"}}}}));
  auto after_failure = store->GetInboxItem("acme", item.id).value();
  CHECK(after_failure.state == InboxState::kAssigned);
  CHECK(after_failure.assignee == "sam");
  CHECK(after_failure.reply_post_id == first.id);

  Post second = store->CreatePost(Reply(item), {}, std::nullopt).value();
  second.state = PostState::kPublishing;
  second = store->UpdatePosts({{second, {}}}).value().front();
  CHECK(store->GetInboxItem("acme", item.id).value().state == InboxState::kAssigned);
  second.state = PostState::kPublished;
  second.remote_id = "1400";
  second.published_at = kNow + minutes{2};
  second.approved_by = "maria";
  REQUIRE(store->UpdatePosts({{second, {}}}));
  auto answered = store->GetInboxItem("acme", item.id).value();
  CHECK(answered.state == InboxState::kAnswered);
  CHECK(answered.reply_post_id == second.id);

  auto audit = store->ListAudit({"acme"}).value();
  auto find = [&](const std::string& action) {
    for (const auto& e : audit)
      if (e.action == action) return e;
    FAIL("no audit entry " << action);
    return AuditEntry{};
  };
  AuditEntry done = find("inbox_answered");
  CHECK(done.actor == "sam");
  CHECK(done.post_id == second.id);
  CHECK_THAT(done.detail, Catch::Contains("\"approved_by\":\"maria\""));
  CHECK_THAT(done.detail, Catch::Contains("\"inbox_item\":" + std::to_string(item.id)));
  AuditEntry failed = find("inbox_reply_failed");
  CHECK(failed.post_id == first.id);
  CHECK_THAT(failed.detail, Catch::Contains("text too long"));
}

// PostgreSQL writes a change of several posts in shared statements: the
// item's audit still names whoever made the change, as for one post alone.
TEST_CASE("Replies cancelled together are audited on their items with who cancelled them", "[store][inbox][reply]") {
  EACH_STORE();
  InboxItem first = SavedItem(*store, "acme-toot", "9101");
  InboxItem second = SavedItem(*store, "acme-masto", "9102");
  std::vector<PostChange> changes;
  for (const InboxItem& item : {first, second}) {
    Post reply = store->CreatePost(Reply(item), {}, std::nullopt).value();
    reply.state = PostState::kCancelled;
    reply.updated_at = kNow + minutes{1};
    changes.push_back({reply, {AuditEntry{0, "acme", kNow, "mona", "cancel", std::nullopt, "{}"}}});
  }
  REQUIRE(store->UpdatePosts(changes));
  CHECK(Actions(*store) == std::vector<std::string>{"cancel by mona", "cancel by mona", "inbox_reply by sam",
                                                    "inbox_reply by sam", "inbox_reply_failed by mona",
                                                    "inbox_reply_failed by mona"});
}

}  // namespace
}  // namespace herald::storage
