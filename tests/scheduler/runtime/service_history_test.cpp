// Published history: the daemon keeps published posts only as far back as the
// longest window of its organisation's rules, and reads older ones back when a
// new policy looks further back.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>

#include "policies/loader.h"
#include "policies/resolve.h"
#include "scheduler/runtime/internal/policy_set.h"
#include "scheduler/runtime/service.h"
#include "tests/support/fake_clock.h"

namespace herald::runtime {
namespace {

using namespace std::chrono;
using testing::FakeClock;

Instant At(const char* s) { return *ParseRfc3339(s); }

policies::Policy Load(const std::string& frequency, const std::string& content = "", const std::string& platform = "file") {
  std::string yaml = "version: 1\norganization: acme\ntimezone: UTC\naccounts:\n  list:\n"
                     "    - { id: acme-blog, platform: " + platform + ", connector: { type: file } }\n"
                     "frequency:\n" + frequency + "  max_delay: 400h\n  missed_after: 30m\n" + content +
                     "approval: { required: false }\n";
  auto p = policies::LoadPolicy(yaml, "acme.yaml");
  if (!p) FAIL(p.error().front().ToString());
  return *p;
}

Duration WindowOf(const policies::Policy& p) {
  return internal::HistoryWindow(policies::ResolveAll(p).at("acme-blog"));
}

TEST_CASE("The history window is the longest rule window plus missed_after", "[history]") {
  CHECK(WindowOf(Load("  default: { min_spacing: 45m }\n")) == minutes{75});
  CHECK(WindowOf(Load("  default: { caps: [ { max: 3, per: day } ] }\n")) == hours{25} + minutes{30});
  CHECK(WindowOf(Load("  default: { caps: [ { max: 3, per: day }, { max: 9, per: week } ] }\n")) ==
        days{7} + hours{1} + minutes{30});
  CHECK(WindowOf(Load("  default: { caps: [ { max: 30, per: month } ] }\n")) == days{31} + hours{1} + minutes{30});
  CHECK(WindowOf(Load("  default: { caps: [ { max: 2, per: 10h } ] }\n")) == hours{10} + minutes{30});
  CHECK(WindowOf(Load("  default: { min_spacing: 1h }\n  mix:\n    - { label: promo, max_share: 0.2, over: 3d }\n")) ==
        days{3} + minutes{30});
  CHECK(WindowOf(Load("  default: { min_spacing: 1h }\n", "content:\n  duplicate_window: 20d\n")) ==
        days{20} + minutes{30});
  // A platform's preset caps count as the policy's own: Mastodon's 300 per 3h.
  CHECK(WindowOf(Load("  default: { min_spacing: 1h }\n", "", "mastodon")) == hours{3} + minutes{30});
}

TEST_CASE("An organisation's history is its accounts' longest", "[history]") {
  internal::PolicySet set;
  auto weekly = Load("  default: { caps: [ { max: 9, per: week } ] }\n");
  set.Install({weekly}, At("2026-12-01T09:00:00Z"));
  CHECK(set.HistoryOf("acme") == days{7} + hours{1} + minutes{30});
  CHECK(set.HistoryOf("globex") == Duration{0});
  CHECK(set.LongestHistory() == set.HistoryOf("acme"));
}

struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/herald-history-XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~Fixture() {
    service.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  void Open(const policies::Policy& policy) {
    service.reset();
    store.reset();
    store = std::move(*storage::OpenStore("sqlite:" + dir + "/h.db"));
    service = std::make_unique<Service>(*store, clock, std::vector<policies::Policy>{policy}, [] {});
    REQUIRE(service->Start());
  }
  Post Publish(const std::string& text) {
    CreatePostRequest r;
    r.account = "acme-blog";
    r.text = text;
    auto created = service->CreatePost(editor, r);
    REQUIRE(created);
    REQUIRE(created->post.planned_at == clock.Now());
    auto claimed = service->ClaimDue(clock.Now());
    REQUIRE(claimed);
    REQUIRE(claimed->size() == 1);
    auto settled = service->Settle(created->post.id, {connectors::PublishResult::Kind::kPublished, "r", "file://r", {}, {}});
    REQUIRE(settled);
    REQUIRE(settled->state == PostState::kPublished);
    return *settled;
  }
  int PublishedInPlan() {
    auto accounts = service->Accounts(editor);
    REQUIRE(accounts);
    REQUIRE(accounts->size() == 1);
    auto it = (*accounts)[0].posts_by_state.find("published");
    return it == (*accounts)[0].posts_by_state.end() ? 0 : it->second;
  }

  std::string dir;
  FakeClock clock{At("2026-12-01T09:00:00Z")};  // a Tuesday
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<Service> service;
  Caller editor{"acme", "alice", Role::kAdmin};
};

TEST_CASE("Service: a restart keeps published posts only as far back as the rules look", "[history]") {
  Fixture f;
  auto daily = Load("  default: { min_spacing: 1h, caps: [ { max: 1, per: day } ] }\n");
  f.Open(daily);
  f.Publish("Tuesday's news");
  f.clock.Advance(hours{10});  // Tuesday 19:00: the daily cap still counts it
  f.Open(daily);
  CHECK(f.PublishedInPlan() == 1);
  f.clock.Advance(hours{20});  // Wednesday 15:00: no rule looks back at Tuesday 09:00
  f.Open(daily);
  CHECK(f.PublishedInPlan() == 0);
}

TEST_CASE("Service: a policy that looks further back reads the older published posts again", "[history]") {
  Fixture f;
  auto daily = Load("  default: { min_spacing: 1h, caps: [ { max: 1, per: day } ] }\n");
  f.Open(daily);
  f.Publish("Tuesday's news");
  f.clock.Advance(hours{48});  // Thursday 09:00
  f.Open(daily);
  REQUIRE(f.PublishedInPlan() == 0);

  // A weekly cap of one: Tuesday's post fills this week, so a new post waits
  // for Monday; without Tuesday's post in the plan it would go now.
  auto weekly = Load("  default: { min_spacing: 1h, caps: [ { max: 1, per: week } ] }\n");
  weekly.sha256 = "weekly";
  REQUIRE(f.service->ReplacePolicies({weekly}, {}));
  CHECK(f.PublishedInPlan() == 1);
  CreatePostRequest r;
  r.account = "acme-blog";
  r.text = "Thursday's news";
  auto created = f.service->CreatePost(f.editor, r);
  REQUIRE(created);
  CHECK(created->post.planned_at == At("2026-12-07T00:00:00Z"));

  // Back to a daily cap: Tuesday's post is forgotten again.
  daily.sha256 = "daily";
  REQUIRE(f.service->ReplacePolicies({daily}, {}));
  CHECK(f.PublishedInPlan() == 0);
}

}  // namespace
}  // namespace herald::runtime
