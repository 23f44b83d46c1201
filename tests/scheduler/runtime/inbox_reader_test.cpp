// InboxReader over a real Service and SQLite store, with a fake clock moved
// by hand and a connector answering inbox reads from a script: new items are
// routed and stored once, pages are followed (bounded per round) from the
// stored cursor, an account is read once per interval (across two readers
// on one store), 429s back off, paused accounts and due publishes wait.
#include "scheduler/runtime/inbox_reader.h"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>

#include "policies/loader.h"
#include "tests/support/fake_clock.h"

namespace herald::runtime {
namespace {

using namespace std::chrono;
using connectors::InboxReadResult;
using testing::FakeClock;

const Caller kMona{"acme", "mona", Role::kManager};
const Caller kVic{"acme", "vic", Role::kViewer};
const Instant kStart = *ParseRfc3339("2026-11-23T10:00:00Z");

InboxMessage Message(std::string id, std::string text, std::string in_reply_to = "") {
  InboxMessage m;
  m.remote_id = std::move(id);
  m.kind = in_reply_to.empty() ? InboxKind::kMention : InboxKind::kReply;
  m.author = "@bob@example.social";
  m.text = std::move(text);
  m.language = "en";
  m.created_at = kStart;
  m.in_reply_to = std::move(in_reply_to);
  m.reply_ref = m.remote_id;
  return m;
}

InboxReadResult Page(std::vector<InboxMessage> items, std::string cursor, bool more = false) {
  InboxReadResult r;
  r.kind = InboxReadResult::Kind::kRead;
  r.items = std::move(items);
  r.cursor = std::move(cursor);
  r.more = more;
  r.http_status = 200;
  return r;
}

// Publishes nothing; answers inbox reads from a script (an empty page at the
// same cursor once the script is spent).
class InboxConnector : public connectors::Connector {
 public:
  connectors::PublishResult Publish(const connectors::PublishRequest&) override { return {}; }
  std::optional<connectors::PublishResult> Lookup(const connectors::PublishRequest&) override { return std::nullopt; }
  InboxReadResult ReadInbox(const connectors::InboxReadRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (!script_.empty()) {
      auto next = script_.front();
      script_.pop_front();
      return next;
    }
    return Page({}, request.cursor);
  }
  bool ReadsInbox() const override { return true; }
  void Then(InboxReadResult r) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(r));
  }
  std::vector<connectors::InboxReadRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  std::deque<InboxReadResult> script_;
  std::vector<connectors::InboxReadRequest> requests_;
};

struct Fixture {
  Fixture() : clock(kStart) {
    char tmpl[] = "/tmp/herald-inbox-XXXXXX";
    dir = mkdtemp(tmpl);
    auto loaded = policies::LoadPolicy(
        "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n    - id: acme-toot\n"
        "      platform: mastodon\n      connector: { type: file }\n"
        "frequency:\n  default:\n    min_spacing: 0s\n"
        "approval: { required: false }\n"
        "inbox:\n  departments:\n"
        "    - { name: support, keywords: [refund], answer_within: 1h, read: [manager] }\n"
        "    - { name: general }\n"
        "  default: general\n",
        "acme.yaml");
    REQUIRE(loaded);
    auto opened = storage::OpenStore("sqlite:" + dir + "/h.db");
    REQUIRE(opened);
    store = std::move(*opened);
    service = std::make_unique<Service>(*store, clock, std::vector<policies::Policy>{*loaded}, [] {}, ServiceOptions{});
    REQUIRE(service->Start());
    AddReader("a");
  }
  ~Fixture() {
    readers.clear();
    service.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  InboxReader& AddReader(const std::string& process, int64_t* in_flight = nullptr) {
    InboxReaderOptions options;
    options.process = process;
    options.every = minutes{2};
    options.max_pages = 2;
    readers.push_back(std::make_unique<InboxReader>(
        io, *service, *store, clock, [this](const Post&) { return ConnectorFor{&connector, "mastodon"}; },
        [in_flight] { return in_flight ? *in_flight : int64_t{0}; }, options));
    return *readers.back();
  }
  std::vector<InboxItemView> Items(const Caller& caller = kMona) {
    auto items = service->Inbox(caller, {});
    REQUIRE(items);
    return *items;
  }

  std::string dir;
  FakeClock clock;
  boost::asio::io_context io;
  InboxConnector connector;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Service> service;
  std::vector<std::unique_ptr<InboxReader>> readers;
};

TEST_CASE("Inbox reader stores new items once, routed, and reads on from the stored cursor", "[inbox][reader]") {
  Fixture f;
  f.connector.Then(Page({Message("1", "where is my REFUND"), Message("2", "hello")}, "c2"));
  CHECK(f.readers[0]->RunRound() == 2);
  auto items = f.Items();
  REQUIRE(items.size() == 2);
  CHECK(items[0].item.message.remote_id == "2");
  CHECK(items[0].item.department == "general");
  CHECK(items[1].item.department == "support");
  CHECK(items[1].item.due_at == kStart + hours{1});
  CHECK(items[0].item.due_at == kStart + hours{24});
  // The viewer may not read support.
  REQUIRE(f.Items(kVic).size() == 1);
  CHECK(f.Items(kVic)[0].item.department == "general");

  // Read again only after the interval, from the stored cursor; the same
  // item again changes nothing.
  CHECK(f.readers[0]->RunRound() == 0);
  CHECK(f.connector.requests().size() == 1);
  f.clock.Advance(minutes{2});
  f.connector.Then(Page({Message("2", "hello"), Message("3", "new")}, "c3"));
  CHECK(f.readers[0]->RunRound() == 1);
  REQUIRE(f.connector.requests().size() == 2);
  CHECK(f.connector.requests()[1].cursor == "c2");
  CHECK(f.Items().size() == 3);
  auto metrics = f.service->CurrentMetrics();
  CHECK(metrics.inbox_reads[{"mastodon", "read"}] == 2);
  CHECK(metrics.inbox_items_read["mastodon"] == 3);
  CHECK(metrics.inbox_items[{"acme", "support", "open"}] == 1);
  CHECK(metrics.inbox_overdue[{"acme", "support"}] == 0);
  f.clock.Advance(hours{1});
  CHECK(f.service->CurrentMetrics().inbox_overdue[{"acme", "support"}] == 1);
}

TEST_CASE("Inbox reader follows pages, at most max_pages per round", "[inbox][reader]") {
  Fixture f;
  f.connector.Then(Page({Message("1", "a")}, "c1", true));
  f.connector.Then(Page({Message("2", "b")}, "c2", true));
  f.connector.Then(Page({Message("3", "c")}, "c3", false));
  CHECK(f.readers[0]->RunRound() == 2);
  // Pages were left: the next round goes on at once, from c2.
  CHECK(f.readers[0]->RunRound() == 1);
  auto requests = f.connector.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].cursor == "c1");
  CHECK(requests[2].cursor == "c2");
}

TEST_CASE("Inbox reader reads an account once per interval across two readers", "[inbox][reader]") {
  Fixture f;
  InboxReader& other = f.AddReader("b");
  f.connector.Then(Page({Message("1", "a")}, "c1"));
  CHECK(f.readers[0]->RunRound() == 1);
  CHECK(other.RunRound() == 0);
  CHECK(f.connector.requests().size() == 1);
  f.clock.Advance(minutes{2});
  CHECK(other.RunRound() == 0);  // an empty page, but read by b
  CHECK(f.readers[0]->RunRound() == 0);
  CHECK(f.connector.requests().size() == 2);
}

TEST_CASE("Inbox reader backs off on a 429 and keeps the cursor", "[inbox][reader]") {
  Fixture f;
  InboxReadResult limited;
  limited.kind = InboxReadResult::Kind::kRetryLater;
  limited.retry_at = kStart + minutes{15};
  limited.why = "mastodon rate limit";
  limited.http_status = 429;
  f.connector.Then(limited);
  CHECK(f.readers[0]->RunRound() == 0);
  f.clock.Advance(minutes{14});
  CHECK(f.readers[0]->RunRound() == 0);
  CHECK(f.connector.requests().size() == 1);
  f.clock.Advance(minutes{1});
  f.connector.Then(Page({Message("1", "a")}, "c1"));
  CHECK(f.readers[0]->RunRound() == 1);
  CHECK(f.connector.requests().size() == 2);
  CHECK(f.connector.requests()[1].cursor.empty());
  CHECK(f.service->CurrentMetrics().inbox_reads[{"mastodon", "retry_later"}] == 1);
}

TEST_CASE("Inbox reader starts no read while a publish is in flight", "[inbox][reader]") {
  Fixture f;
  int64_t in_flight = 1;
  InboxReader& busy = f.AddReader("b", &in_flight);
  CHECK(busy.RunRound() == 0);
  CHECK(f.connector.requests().empty());
  in_flight = 0;
  f.connector.Then(Page({Message("1", "a")}, "c1"));
  CHECK(busy.RunRound() == 1);
}

TEST_CASE("Inbox items change state through the Service, audited, by those who may answer", "[inbox][reader]") {
  Fixture f;
  f.connector.Then(Page({Message("1", "refund please"), Message("2", "hi")}, "c2"));
  REQUIRE(f.readers[0]->RunRound() == 2);
  auto items = f.Items();
  int64_t support = items[1].item.id, general = items[0].item.id;
  CHECK(f.service->GetInboxItem(kVic, support).error().code() == Code::kPermissionDenied);
  CHECK(f.service->DismissInboxItem(kVic, general, "").error().code() == Code::kPermissionDenied);
  CHECK(f.service->GetInboxItem({"globex", "gus", Role::kAdmin}, support).error().code() == Code::kNotFound);
  auto assigned = f.service->AssignInboxItem(kMona, support, "eve");
  REQUIRE(assigned);
  CHECK(assigned->item.state == InboxState::kAssigned);
  CHECK(f.service->AssignInboxItem(kMona, support, "").error().code() == Code::kInvalidArgument);
  REQUIRE(f.service->DismissInboxItem(kMona, support, "spam"));
  CHECK(f.service->DismissInboxItem(kMona, support, "").error().code() == Code::kFailedPrecondition);
  CHECK(f.service->ReopenInboxItem(kMona, general).error().code() == Code::kFailedPrecondition);
  auto reopened = f.service->ReopenInboxItem(kMona, support);
  REQUIRE(reopened);
  CHECK(reopened->item.state == InboxState::kOpen);
  CHECK(reopened->item.assignee.empty());
  auto audit = f.service->Audit(kMona, {"acme"});
  REQUIRE(audit);
  std::vector<std::string> actions;
  for (const auto& e : *audit) actions.push_back(e.action);
  CHECK(actions == std::vector<std::string>{"inbox_assign", "inbox_dismiss", "inbox_reopen"});
}

TEST_CASE("An item read when already past its due time is told overdue once", "[inbox][reader]") {
  Fixture f;
  auto overdue_events = [&] {
    auto events = f.service->Events(kMona, {"", EventType::kInboxItemOverdue, std::nullopt, 0, 10});
    REQUIRE(events);
    return events->size();
  };
  REQUIRE(f.service->RecordInboxOverdue(f.clock.Now(), days{30}));
  f.clock.Advance(hours{2});
  REQUIRE(f.service->RecordInboxOverdue(f.clock.Now(), days{30}));
  // Written three hours ago to support (answer within 1h), read only now:
  // its due time lies before the previous look, its arrival after it.
  InboxMessage late = Message("7", "refund for order 12?");
  late.created_at = f.clock.Now() - hours{3};
  f.connector.Then(Page({late}, "c7"));
  REQUIRE(f.readers[0]->RunRound() == 1);
  CHECK(overdue_events() == 0);
  f.clock.Advance(seconds{1});
  REQUIRE(f.service->RecordInboxOverdue(f.clock.Now(), days{30}));
  CHECK(overdue_events() == 1);
  for (int i = 0; i < 3; ++i) {
    f.clock.Advance(seconds{20});
    REQUIRE(f.service->RecordInboxOverdue(f.clock.Now(), days{30}));
  }
  CHECK(overdue_events() == 1);
}

TEST_CASE("Inbox reader routes open items again after a policy change, and leaves assigned ones", "[inbox][reader]") {
  Fixture f;
  f.connector.Then(Page({Message("1", "my invoice is wrong"), Message("2", "invoice and refund"),
                         Message("3", "refund please")}, "c3"));
  REQUIRE(f.readers[0]->RunRound() == 3);
  auto items = f.Items();
  REQUIRE(items.size() == 3);
  const int64_t invoice = items[2].item.id, both = items[1].item.id, refund = items[0].item.id;
  CHECK(items[2].item.department == "general");
  CHECK(items[1].item.department == "support");
  REQUIRE(f.service->AssignInboxItem(kMona, both, "eve"));  // someone holds it: it stays

  f.clock.Advance(minutes{5});
  auto changed = policies::LoadPolicy(
      "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n    - id: acme-toot\n"
      "      platform: mastodon\n      connector: { type: file }\n"
      "frequency:\n  default:\n    min_spacing: 0s\n"
      "approval: { required: false }\n"
      "inbox:\n  departments:\n"
      "    - { name: billing, keywords: [invoice], answer_within: 30m }\n"
      "    - { name: support, keywords: [refund], answer_within: 2h, read: [manager] }\n"
      "    - { name: general }\n"
      "  default: general\n",
      "acme.yaml");
  REQUIRE(changed);
  REQUIRE(f.service->ReplacePolicies({*changed}, {}));
  CHECK(f.readers[0]->RunRound() == 0);  // nothing new to read; the routing moved what was open
  auto after = f.Items();
  REQUIRE(after.size() == 3);
  std::map<int64_t, storage::InboxItem> by_id;
  for (const auto& v : after) by_id[v.item.id] = v.item;
  CHECK(by_id[invoice].department == "billing");
  CHECK(by_id[invoice].due_at == kStart + minutes{30});  // from when it was written, by the new target
  CHECK(by_id[invoice].state == InboxState::kOpen);
  CHECK(by_id[both].department == "support");  // assigned: left where it is
  CHECK(by_id[both].due_at == kStart + hours{1});
  CHECK(by_id[refund].department == "support");  // same department: untouched
  CHECK(by_id[refund].due_at == kStart + hours{1});
  auto audit = f.service->Audit(kMona, {"acme"});
  REQUIRE(audit);
  std::vector<std::string> reroutes;
  for (const auto& e : *audit)
    if (e.action == "inbox_reroute") reroutes.push_back(e.detail);
  REQUIRE(reroutes.size() == 1);
  CHECK_THAT(reroutes[0], Catch::Contains("\"from\":\"general\"") && Catch::Contains("\"to\":\"billing\""));

  // A second reader (another daemon, or after a restart) finds nothing to move.
  f.clock.Advance(minutes{5});
  f.AddReader("b").RunRound();
  auto audit2 = f.service->Audit(kMona, {"acme"});
  REQUIRE(audit2);
  size_t count = 0;
  for (const auto& e : *audit2) count += e.action == "inbox_reroute" ? 1 : 0;
  CHECK(count == 1);
}

}  // namespace
}  // namespace herald::runtime
