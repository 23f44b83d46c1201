// The Store contract for the inbox, on every store: an account's read is
// claimed once (a conditional write) and released with a time before which
// nobody reads it again; items are stored once each by (organisation,
// account, remote id) and linked to the post they answer; state changes are
// conditional on the version and audited; lists are newest first, filtered
// and paged; counts give the overdue items.
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

const Instant kNow = Day(3, 2, 9);

Post Published(Store& store, std::string org, std::string account, std::string remote_id) {
  Post p = NewPost(std::move(org), std::move(account), "hello");
  p.state = PostState::kPublished;
  p.planned_at = kNow - hours{2};
  p.published_at = kNow - hours{2};
  p.remote_id = std::move(remote_id);
  auto created = store.CreatePost(p, {}, std::nullopt);
  REQUIRE(created);
  return *created;
}

InboxItem Item(std::string org, std::string account, std::string remote_id, std::string in_reply_to = "",
               std::string department = "support") {
  InboxItem item;
  item.organization = std::move(org);
  item.account = std::move(account);
  item.message.remote_id = std::move(remote_id);
  item.message.kind = in_reply_to.empty() ? InboxKind::kMention : InboxKind::kReply;
  item.message.author = "@bob@example.social";
  item.message.author_name = "Bob";
  item.message.text = "where is my order?";
  item.message.language = "en";
  item.message.url = "https://example.social/@bob/1";
  item.message.created_at = kNow - minutes{5};
  item.message.in_reply_to = std::move(in_reply_to);
  item.message.reply_ref = item.message.remote_id;
  item.department = std::move(department);
  item.received_at = kNow;
  item.due_at = kNow + hours{4};
  return item;
}

InboxReadClaim Claim(std::string org, std::string account, std::string process, Instant now = kNow) {
  return {std::move(org), std::move(account), std::move(process), now + minutes{2}, now};
}

InboxPage Page(std::string process, std::vector<InboxItem> items, std::string cursor) {
  InboxPage page{"acme", "acme-toot", std::move(process), std::move(items), std::move(cursor)};
  return page;
}

TEST_CASE("Store keeps each inbox item once and links it to the post it answers", "[store][inbox]") {
  EACH_STORE();
  Post ours = Published(*store, "acme", "acme-toot", "1100");
  Published(*store, "acme", "other-account", "1200");
  REQUIRE(store->ClaimInboxRead(Claim("acme", "acme-toot", "daemon-a")).value());

  auto first = store->SaveInboxPage(
      Page("daemon-a", {Item("acme", "acme-toot", "9001", "1100"), Item("acme", "acme-toot", "9002", "1200")}, "c1"));
  REQUIRE(first);
  REQUIRE(first->size() == 2);
  CHECK(first->at(0).id > 0);
  CHECK(first->at(0).post_id == ours.id);
  CHECK(first->at(0).state == InboxState::kOpen);
  CHECK(first->at(0).version == 1);
  // 1200 is a post of another account: not linked.
  CHECK_FALSE(first->at(1).post_id);

  auto stored = store->GetInboxItem("acme", first->at(0).id);
  REQUIRE(stored);
  CHECK(*stored == first->at(0));
  CHECK(stored->message == Item("acme", "acme-toot", "9001", "1100").message);

  // A second read of the same items (and one new) stores only the new one.
  auto again = store->SaveInboxPage(
      Page("daemon-a", {Item("acme", "acme-toot", "9001", "1100"), Item("acme", "acme-toot", "9003")}, "c2"));
  REQUIRE(again);
  REQUIRE(again->size() == 1);
  CHECK(again->at(0).message.remote_id == "9003");
  auto all = store->ListInbox({"acme"});
  REQUIRE(all);
  CHECK(all->size() == 3);

  auto state = store->FindInboxReadState("acme", "acme-toot");
  REQUIRE(state);
  REQUIRE(*state);
  CHECK((*state)->cursor == "c2");
  CHECK((*state)->claimed_by == "daemon-a");
  CHECK((*state)->read_at == kNow);
  CHECK_FALSE(store->FindInboxReadState("acme", "nobody").value());
}

TEST_CASE("An inbox page is stored only by the holder of the account's claim", "[store][inbox]") {
  EACH_STORE();
  REQUIRE(store->ClaimInboxRead(Claim("acme", "acme-toot", "daemon-a")).value());
  CHECK_FALSE(store->ClaimInboxRead(Claim("acme", "acme-toot", "daemon-b")).value());

  auto lost = store->SaveInboxPage(Page("daemon-b", {Item("acme", "acme-toot", "9001")}, "c1"));
  REQUIRE_FALSE(lost);
  CHECK(lost.error().code() == Code::kFailedPrecondition);
  CHECK(store->ListInbox({"acme"})->empty());

  // Released with a back-off: nobody claims it before then, anyone after.
  REQUIRE(store->ReleaseInboxRead("acme", "acme-toot", "daemon-a", kNow + minutes{10}, "the platform said 429"));
  CHECK(store->ReleaseInboxRead("acme", "acme-toot", "daemon-a", kNow, "").error().code() ==
        Code::kFailedPrecondition);
  auto state = store->FindInboxReadState("acme", "acme-toot").value();
  REQUIRE(state);
  CHECK(state->claimed_by.empty());
  CHECK(state->not_before == kNow + minutes{10});
  CHECK(state->detail == "the platform said 429");
  CHECK_FALSE(store->ClaimInboxRead(Claim("acme", "acme-toot", "daemon-b", kNow + minutes{9})).value());
  CHECK(store->ClaimInboxRead(Claim("acme", "acme-toot", "daemon-b", kNow + minutes{10})).value());

  // A claim never released may be taken over once it ends.
  CHECK(store->ClaimInboxRead(Claim("acme", "acme-toot", "daemon-c", kNow + minutes{13})).value());
  CHECK(store->SaveInboxPage(Page("daemon-b", {}, "x")).error().code() == Code::kFailedPrecondition);

  CHECK(store->ClaimInboxRead(Claim("", "acme-toot", "d")).error().code() == Code::kInvalidArgument);
  CHECK(store->ClaimInboxRead(Claim("acme", "acme-toot", "")).error().code() == Code::kInvalidArgument);
}

TEST_CASE("Only one of concurrent claims of an account's inbox read wins", "[store][inbox]") {
  EACH_STORE();
  std::atomic<int> won{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = store->ClaimInboxRead(Claim("acme", "acme-toot", "daemon-" + std::to_string(i)));
      if (!r) ++failed;
      else if (*r) ++won;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failed == 0);
  CHECK(won == 1);
}

TEST_CASE("Inbox state changes are conditional on the version and audited", "[store][inbox]") {
  EACH_STORE();
  REQUIRE(store->ClaimInboxRead(Claim("acme", "acme-toot", "d")).value());
  auto saved = store->SaveInboxPage(Page("d", {Item("acme", "acme-toot", "9001")}, "c1"));
  REQUIRE(saved);
  InboxItem item = saved->at(0);

  InboxItem assigned = item;
  assigned.state = InboxState::kAssigned;
  assigned.assignee = "carol";
  assigned.updated_at = kNow + minutes{1};
  AuditEntry audit{0, "", kNow + minutes{1}, "manager", "inbox_assign", std::nullopt,
                   R"({"inbox_item":)" + std::to_string(item.id) + R"(,"to":"carol"})"};
  auto updated = store->UpdateInboxItem(assigned, {audit});
  REQUIRE(updated);
  CHECK(updated->version == 2);
  auto stored = store->GetInboxItem("acme", item.id).value();
  CHECK(stored == *updated);
  CHECK(stored.assignee == "carol");

  // A writer that read version 1 loses, and nothing of it is written.
  InboxItem stale = item;
  stale.state = InboxState::kDismissed;
  auto lost = store->UpdateInboxItem(stale, {audit});
  REQUIRE_FALSE(lost);
  CHECK(lost.error().code() == Code::kFailedPrecondition);

  InboxItem missing = item;
  missing.id = item.id + 100;
  CHECK(store->UpdateInboxItem(missing, {}).error().code() == Code::kNotFound);
  InboxItem elsewhere = *updated;
  elsewhere.organization = "globex";
  CHECK(store->UpdateInboxItem(elsewhere, {}).error().code() == Code::kNotFound);
  CHECK(store->GetInboxItem("globex", item.id).error().code() == Code::kNotFound);

  auto entries = store->ListAudit({"acme"});
  REQUIRE(entries);
  REQUIRE(entries->size() == 1);
  CHECK(entries->at(0).action == "inbox_assign");
  CHECK(entries->at(0).organization == "acme");

  // Answered by a post: found again through that post.
  Post reply = Published(*store, "acme", "acme-toot", "1300");
  InboxItem answered = *updated;
  answered.state = InboxState::kAnswered;
  answered.reply_post_id = reply.id;
  REQUIRE(store->UpdateInboxItem(answered, {}));
  auto by_reply = store->FindInboxItemByReply("acme", reply.id);
  REQUIRE(by_reply);
  REQUIRE(*by_reply);
  CHECK((*by_reply)->id == item.id);
  CHECK((*by_reply)->state == InboxState::kAnswered);
  CHECK_FALSE(store->FindInboxItemByReply("globex", reply.id).value());
}

TEST_CASE("Inbox lists are newest first, filtered, paged and kept per organisation", "[store][inbox]") {
  EACH_STORE();
  REQUIRE(store->ClaimInboxRead(Claim("acme", "acme-toot", "d")).value());
  InboxItem late = Item("acme", "acme-toot", "9003", "", "sales");
  late.due_at = kNow + hours{1};
  REQUIRE(store->SaveInboxPage(Page("d",
                                    {Item("acme", "acme-toot", "9001"), Item("acme", "acme-toot", "9002", "", "press"),
                                     late},
                                    "c"))
              .value()
              .size() == 3);
  REQUIRE(store->ClaimInboxRead(Claim("globex", "globex-toot", "d")).value());
  REQUIRE(store->SaveInboxPage({"globex", "globex-toot", "d", {Item("globex", "globex-toot", "9001")}, "c"}));

  auto all = store->ListInbox({"acme"}).value();
  REQUIRE(all.size() == 3);
  CHECK(all[0].message.remote_id == "9003");
  CHECK(all[2].message.remote_id == "9001");

  InboxQuery page{"acme"};
  page.limit = 2;
  auto first = store->ListInbox(page).value();
  REQUIRE(first.size() == 2);
  page.before_id = first.back().id;
  auto second = store->ListInbox(page).value();
  REQUIRE(second.size() == 1);
  CHECK(second[0].message.remote_id == "9001");

  InboxQuery by_department{"acme"};
  by_department.department = "press";
  CHECK(store->ListInbox(by_department).value().size() == 1);
  InboxQuery allowed{"acme"};
  allowed.departments = std::vector<std::string>{"support", "sales"};
  CHECK(store->ListInbox(allowed).value().size() == 2);
  allowed.departments = std::vector<std::string>{};
  CHECK(store->ListInbox(allowed).value().empty());
  InboxQuery overdue{"acme"};
  overdue.overdue_at = kNow + hours{2};
  auto late_ones = store->ListInbox(overdue).value();
  REQUIRE(late_ones.size() == 1);
  CHECK(late_ones[0].message.remote_id == "9003");
  InboxQuery other_account{"acme"};
  other_account.account = "globex-toot";
  CHECK(store->ListInbox(other_account).value().empty());
  InboxQuery open{"acme"};
  open.state = InboxState::kAnswered;
  CHECK(store->ListInbox(open).value().empty());

  CHECK(store->ListInbox({""}).error().code() == Code::kInvalidArgument);
  InboxQuery too_many{"acme"};
  too_many.limit = 1001;
  CHECK(store->ListInbox(too_many).error().code() == Code::kInvalidArgument);

  auto counts = store->CountInbox(kNow + hours{2}).value();
  REQUIRE(counts.size() == 4);
  CHECK(counts[0] == InboxCount{"acme", "press", InboxState::kOpen, 1, 0});
  CHECK(counts[1] == InboxCount{"acme", "sales", InboxState::kOpen, 1, 1});
  CHECK(counts[2] == InboxCount{"acme", "support", InboxState::kOpen, 1, 0});
  CHECK(counts[3] == InboxCount{"globex", "support", InboxState::kOpen, 1, 0});
  auto later = store->CountInbox(kNow + hours{5}).value();
  CHECK(later[0].overdue == 1);
  CHECK(later[3].overdue == 1);
}

TEST_CASE("Inbox items and cursors survive reopening the store", "[store][inbox]") {
  EACH_STORE();
  REQUIRE(store->ClaimInboxRead(Claim("acme", "acme-toot", "d")).value());
  REQUIRE(store->SaveInboxPage(Page("d", {Item("acme", "acme-toot", "9001")}, "cursor-after-9001")));
  REQUIRE(store->ReleaseInboxRead("acme", "acme-toot", "d", kNow, ""));
  store.reset();
  store = testing::OpenIn(factory, dir);
  CHECK(store->FindInboxReadState("acme", "acme-toot").value()->cursor == "cursor-after-9001");
  CHECK(store->ListInbox({"acme"}).value().size() == 1);
  REQUIRE(store->ClaimInboxRead(Claim("acme", "acme-toot", "e")).value());
  CHECK(store->SaveInboxPage(Page("e", {Item("acme", "acme-toot", "9001")}, "c")).value().empty());
}

}  // namespace
}  // namespace herald::storage
