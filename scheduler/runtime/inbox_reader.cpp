#include "scheduler/runtime/inbox_reader.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "policies/inbox_router.h"
#include "scheduler/runtime/internal/inbox_reroute.h"

namespace herald::runtime {

using namespace std::chrono;
using Kind = connectors::InboxReadResult::Kind;

namespace {

// Per-post platforms (comments) are read under the account's latest posts.
constexpr int kRecentPosts = 20;
constexpr auto kRecentSpan = days{14};

}  // namespace

InboxReader::InboxReader(boost::asio::io_context& io, Service& service, storage::Store& store, const Clock& clock,
                         ConnectorLookup connectors, std::function<int64_t()> publishes_in_flight,
                         InboxReaderOptions options)
    : service_(service), store_(store), clock_(clock), connectors_(std::move(connectors)),
      publishes_in_flight_(std::move(publishes_in_flight)), options_(std::move(options)),
      holds_(service, options_.backoff),
      // Rounds come more often than each account is read: an account skipped
      // for a busy moment is read soon after, not a whole interval later.
      rounds_(io, pool_, std::clamp(options_.every / 4, milliseconds{250}, milliseconds{30000}),
              [this] { (void)RunRound(); }) {}

InboxReader::~InboxReader() {
  stopping_ = true;
  pool_.join();
}

void InboxReader::Start() { rounds_.Start(); }

void InboxReader::Stop() {
  stopping_ = true;
  rounds_.Stop();
}

bool InboxReader::PublishingBusy(Instant now) {
  return internal::PublishingBusy(service_, publishes_in_flight_, options_.publish_margin, now);
}

void InboxReader::Release(const std::string& organization, const std::string& account, Instant next_at,
                          const std::string& why) {
  if (auto r = store_.ReleaseInboxRead(organization, account, options_.process, next_at, why); !r) {
    spdlog::warn("inbox: releasing the read of {} failed: {}", account, r.error().ToString());
  }
}

void InboxReader::RerouteIfChanged(const std::string& organization) {
  const policies::InboxRouting routing = service_.InboxRoutingOf(organization);
  std::string key = internal::RoutingKey(routing);
  if (auto it = routed_.find(organization); it != routed_.end() && it->second == key) return;
  auto moved = internal::RerouteOpenItems(store_, organization, routing, clock_.Now());
  if (!moved) {
    spdlog::warn("inbox: routing the open items of {} again failed: {}; tried again next round", organization,
                 moved.error().ToString());
    return;
  }
  if (*moved > 0) spdlog::info("inbox: {} open items of {} moved by the policy's new routing", *moved, organization);
  routed_[organization] = std::move(key);
}

int InboxReader::RunRound() {
  int stored = 0;
  // After a start or a policy change, open items follow the current rules
  // before new ones are read (the first round after a start finds nothing to
  // move unless the policy changed while no daemon ran).
  const auto accounts = service_.InboxAccounts();
  std::set<std::string> organizations;
  for (const auto& [organization, account] : accounts) organizations.insert(organization);
  for (const auto& organization : organizations) {
    if (stopping_) return stored;
    RerouteIfChanged(organization);
  }
  for (const auto& [organization, account] : accounts) {
    if (stopping_) break;
    Instant now = clock_.Now();
    if (PublishingBusy(now)) break;
    Post as_post;
    as_post.organization = organization;
    as_post.account = account;
    auto [connector, platform] = connectors_(as_post);
    if (connector == nullptr || !connector->ReadsInbox()) continue;
    if (holds_.HeldUntil(account, now)) continue;
    auto claimed = store_.ClaimInboxRead({organization, account, options_.process, now + options_.claim, now});
    if (!claimed) {
      spdlog::warn("inbox: claiming the read of {} failed: {}", account, claimed.error().ToString());
      continue;
    }
    if (!*claimed) continue;  // read recently, or another process is reading it
    stored += ReadAccount(organization, account, *connector, platform, now);
  }
  return stored;
}

int InboxReader::ReadAccount(const std::string& organization, const std::string& account,
                             connectors::Connector& connector, const std::string& platform, Instant started) {
  // The next read is due an interval after this one started, whoever makes it.
  const Instant next_round = started + duration_cast<seconds>(options_.every * 9 / 10);
  auto state = store_.FindInboxReadState(organization, account);
  if (!state) {
    Release(organization, account, started, "");
    return 0;
  }
  connectors::InboxReadRequest request;
  request.organization = organization;
  request.account = account;
  request.cursor = *state ? (*state)->cursor : std::string();
  storage::PostQuery recent{organization, account, PostState::kPublished, started - kRecentSpan};
  recent.limit = 1000;
  if (auto posts = store_.ListPosts(recent)) {
    for (auto it = posts->rbegin(); it != posts->rend() && static_cast<int>(request.recent_posts.size()) < kRecentPosts;
         ++it) {
      if (!it->remote_id.empty()) request.recent_posts.push_back(it->remote_id);
    }
  }
  policies::InboxRouter router(service_.InboxRoutingOf(organization));
  int stored = 0;
  for (int page = 0; page < options_.max_pages; ++page) {
    Instant now = clock_.Now();
    if (stopping_ || (page > 0 && (PublishingBusy(now) || holds_.HeldUntil(account, now)))) {
      Release(organization, account, now, "");  // read again in the next round
      return stored;
    }
    request.now = now;
    connectors::InboxReadResult result = connector.ReadInbox(request);
    now = clock_.Now();
    if (result.kind == Kind::kRetryLater) {
      const Instant until = holds_.PutOff(account, result.retry_at, now, true);
      spdlog::info("inbox: {}: read put off to {}: {}", account, FormatRfc3339(until), result.why);
      service_.RecordInboxRead(platform, "retry_later", 0);
      Release(organization, account, until, result.why);
      return stored;
    }
    if (result.kind != Kind::kRead) {
      spdlog::warn("inbox: {}: read failed: {}", account, result.why);
      service_.RecordInboxRead(platform, "failed", 0);
      Release(organization, account, next_round, result.why);
      return stored;
    }
    holds_.Succeeded(account, result.hold_until);
    storage::InboxPage save{organization, account, options_.process, {}, result.cursor};
    save.items.reserve(result.items.size());
    for (auto& m : result.items) {
      if (m.remote_id.empty()) continue;
      const policies::InboxDepartment& department = router.Route(account, m);
      storage::InboxItem item;
      item.organization = organization;
      item.account = account;
      item.department = department.name;
      item.received_at = now;
      item.due_at = internal::InboxDueAt(m, now, department.answer_within);
      item.message = std::move(m);
      save.items.push_back(std::move(item));
    }
    auto saved = store_.SaveInboxPage(save);
    if (!saved) {
      // The cursor did not move: the same page is read again next time.
      spdlog::error("inbox: {}: storing {} items failed: {}", account, save.items.size(), saved.error().ToString());
      Release(organization, account, now, saved.error().message());
      return stored;
    }
    stored += static_cast<int>(saved->size());
    service_.RecordInboxRead(platform, "read", static_cast<int64_t>(saved->size()));
    for (const auto& item : *saved) {
      spdlog::info("inbox: {}: item {} from {} to {}", account, item.id, item.message.author, item.department);
    }
    if (!result.more || result.cursor == request.cursor) {
      Release(organization, account, next_round, "");
      return stored;
    }
    request.cursor = result.cursor;
  }
  // Pages still waiting: the next round goes on with them.
  Release(organization, account, clock_.Now(), "");
  return stored;
}

}  // namespace herald::runtime
