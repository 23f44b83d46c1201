// The mastodon connector's inbox against MastodonFake: mention notifications
// read page by page after the cursor, answers told from mentions by
// in_reply_to_id, HTML content as text, 429 on reads, and a reply published
// with in_reply_to_id.
#include <catch2/catch.hpp>

#include "connectors/mastodon/mastodon_inbox.h"
#include "connectors/platforms.h"
#include "tests/connectors/connector_testing.h"
#include "tests/connectors/fakes/mastodon_fake.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using Kind = InboxReadResult::Kind;
using testing::MastodonFake;

std::unique_ptr<Connector> Make(const std::string& base_url, std::string token = "mastodon-token") {
  policies::ConnectorConfig c;
  c.type = "mastodon";
  c.base_url = base_url;
  c.secrets["token"] = {policies::SecretRef::Kind::kEnv, "MASTODON_TOKEN"};
  auto made = MakeMastodonConnector(c, testing::TestContext({{"MASTODON_TOKEN", token}}, milliseconds{2000}));
  REQUIRE(made.has_value());
  return std::move(*made);
}

InboxReadRequest Read(std::string cursor = "") {
  InboxReadRequest r;
  r.organization = "acme";
  r.account = "acme-toot";
  r.cursor = std::move(cursor);
  r.now = std::chrono::floor<seconds>(system_clock::now());
  return r;
}

TEST_CASE("Mastodon reads mentions and replies from its notifications", "[mastodon][inbox]") {
  MastodonFake fake;
  auto connector = Make(fake.base_url());
  CHECK(connector->ReadsInbox());
  std::string reply = fake.AddMention({"carol@other.social", "Carol", "<p>Where is my <b>refund</b>?<br>Order &amp; co &#128512;</p>",
                                       "109000000000000001", "de"});
  std::string mention = fake.AddMention({"bob", "Bob", "<p>Hi <span class=\"h-card\"><a href=\"x\">@<span>acme</span></a></span></p><p>two</p>", "", ""});

  auto first = connector->ReadInbox(Read());
  INFO(first.why);
  REQUIRE(first.kind == Kind::kRead);
  REQUIRE(first.items.size() == 2);
  CHECK_FALSE(first.more);
  const InboxMessage& a = first.items[0];  // oldest first
  CHECK(a.remote_id == reply);
  CHECK(a.kind == InboxKind::kReply);
  CHECK(a.in_reply_to == "109000000000000001");
  CHECK(a.reply_ref == reply);
  CHECK(a.author == "@carol@other.social");
  CHECK(a.author_name == "Carol");
  CHECK(a.text == "Where is my refund?\nOrder & co \xF0\x9F\x98\x80");
  CHECK(a.language == "de");
  CHECK(a.url.ends_with("/" + reply));
  const InboxMessage& b = first.items[1];
  CHECK(b.kind == InboxKind::kMention);
  CHECK(b.in_reply_to.empty());
  CHECK(b.text == "Hi @acme\n\ntwo");
  CHECK(b.language.empty());
  CHECK_FALSE(first.cursor.empty());

  // Nothing new: the same cursor and no items.
  auto again = connector->ReadInbox(Read(first.cursor));
  REQUIRE(again.kind == Kind::kRead);
  CHECK(again.items.empty());
  CHECK(again.cursor == first.cursor);
  CHECK_FALSE(again.more);

  std::string third = fake.AddMention({});
  auto next = connector->ReadInbox(Read(first.cursor));
  REQUIRE(next.items.size() == 1);
  CHECK(next.items[0].remote_id == third);
  CHECK(next.items[0].text == "hello");
}

TEST_CASE("Mastodon reads from the beginning after a first read that found nothing", "[mastodon][inbox]") {
  MastodonFake fake;
  auto connector = Make(fake.base_url());
  auto empty = connector->ReadInbox(Read());
  REQUIRE(empty.kind == Kind::kRead);
  CHECK(empty.items.empty());
  CHECK(empty.cursor == "0");
  std::vector<std::string> ids;
  for (int i = 0; i < 45; ++i) ids.push_back(fake.AddMention({}));
  auto first = connector->ReadInbox(Read(empty.cursor));
  REQUIRE(first.items.size() == 40);
  CHECK(first.items.front().remote_id == ids.front());  // none skipped
  CHECK(first.more);
  auto second = connector->ReadInbox(Read(first.cursor));
  REQUIRE(second.items.size() == 5);
  CHECK(second.items.back().remote_id == ids.back());
}

TEST_CASE("Mastodon inbox reads follow pages after the cursor, oldest first", "[mastodon][inbox]") {
  MastodonFake fake;
  auto connector = Make(fake.base_url());
  fake.AddMention({});
  auto start = connector->ReadInbox(Read());
  REQUIRE(start.items.size() == 1);
  std::vector<std::string> ids;
  for (int i = 0; i < 95; ++i) ids.push_back(fake.AddMention({"bob", "Bob", "<p>n" + std::to_string(i) + "</p>"}));

  std::vector<std::string> seen;
  std::string cursor = start.cursor;
  int pages = 0;
  for (bool more = true; more; ++pages) {
    auto page = connector->ReadInbox(Read(cursor));
    REQUIRE(page.kind == Kind::kRead);
    CHECK(page.items.size() <= static_cast<size_t>(mastodon::kMastodonInboxPage));
    for (const auto& m : page.items) seen.push_back(m.remote_id);
    cursor = page.cursor;
    more = page.more;
    REQUIRE(pages < 10);
  }
  CHECK(seen == ids);  // each once, in order
  CHECK(pages == 3);
  CHECK(fake.fake().Count("/api/v1/notifications") == 1 + pages);
}

TEST_CASE("Mastodon inbox reads: rate limit, bad token, bad answer", "[mastodon][inbox]") {
  MastodonFake fake;
  SECTION("429 is retried at the reset") {
    fake.FailNotificationReads(1, seconds{90});
    auto r = Make(fake.base_url())->ReadInbox(Read());
    CHECK(r.kind == Kind::kRetryLater);
    CHECK(r.http_status == 429);
    REQUIRE(r.retry_at);
    CHECK(*r.retry_at > Read().now + seconds{30});
    CHECK(*r.retry_at <= Read().now + seconds{91});  // the reset the answer gave
  }
  SECTION("a revoked token fails") {
    auto r = Make(fake.base_url(), "revoked")->ReadInbox(Read());
    CHECK(r.kind == Kind::kFailed);
    CHECK(r.http_status == 401);
  }
  SECTION("an unreachable instance is retried") {
    auto r = Make("http://127.0.0.1:1")->ReadInbox(Read());
    CHECK(r.kind == Kind::kRetryLater);
  }
}

TEST_CASE("Mastodon publishes an answer as a reply with in_reply_to_id", "[mastodon][inbox]") {
  MastodonFake fake;
  std::string asked = fake.AddMention({});
  PublishRequest r;
  r.post_id = 9;
  r.organization = "acme";
  r.account = "acme-toot";
  r.platform = "mastodon";
  r.text = "@bob@example.social it ships today";
  r.now = r.planned_at = r.created_at = Read().now;
  r.idempotency_key = "acme-9";
  r.reply_to = asked;
  auto published = Make(fake.base_url())->Publish(r);
  INFO(published.why);
  REQUIRE(published.kind == PublishResult::Kind::kPublished);
  auto statuses = fake.Statuses();
  REQUIRE(statuses.size() == 1);
  CHECK(statuses[0].in_reply_to_id == asked);

  r.reply_to.reset();
  r.idempotency_key = "acme-10";
  REQUIRE(Make(fake.base_url())->Publish(r).kind == PublishResult::Kind::kPublished);
  CHECK(fake.Statuses().at(1).in_reply_to_id.empty());
}

TEST_CASE("Mastodon status HTML becomes plain text", "[mastodon][inbox]") {
  using mastodon::StatusText;
  CHECK(StatusText("<p>a &lt;b&gt; &quot;c&quot; &#39;d&#x27;</p>") == "a <b> \"c\" 'd'");
  CHECK(StatusText("<p>x</p><p>y</p>") == "x\n\ny");
  CHECK(StatusText("a<BR/>b<br >c") == "a\nb\nc");
  CHECK(StatusText("&bogus; & &#xZZ; &#99999999;") == "&bogus; & &#xZZ; &#99999999;");
  CHECK(StatusText("<p>unfinished <a href=") == "unfinished");
  CHECK(StatusText("&#0;").size() == 3);  // U+FFFD, never a NUL
}

}  // namespace
}  // namespace herald::connectors
