#include "scheduler/runtime/engagement_reader.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <latch>
#include <vector>

#include "scheduler/engagement_schedule.h"

namespace herald::runtime {

using namespace std::chrono;
using Kind = connectors::EngagementResult::Kind;

namespace {

milliseconds RoundEvery(const EngagementReaderOptions& options, const scheduler::EngagementSchedule& schedule) {
  if (options.every) return *options.every;
  if (schedule.ages.empty()) return milliseconds{30000};
  return std::clamp(duration_cast<milliseconds>(schedule.ages.front()) / 4, milliseconds{250}, milliseconds{30000});
}

// Posts are looked for this long past the schedule's last read: a daemon that
// was down when a post's last read fell due still makes it.
constexpr auto kLateReads = days{30};

}  // namespace

EngagementReader::EngagementReader(boost::asio::io_context& io, Service& service, storage::Store& store,
                                   const Clock& clock, ConnectorLookup connectors,
                                   std::function<int64_t()> publishes_in_flight, EngagementReaderOptions options)
    : service_(service), store_(store), clock_(clock), connectors_(std::move(connectors)),
      publishes_in_flight_(std::move(publishes_in_flight)), options_(std::move(options)),
      // One thread more than reads at once: a round waits on one for its reads.
      pool_(static_cast<size_t>(std::max(1, options_.concurrency) + 1)), holds_(service, options_.backoff),
      rounds_(io, pool_, RoundEvery(options_, service.engagement_schedule()), [this] { (void)RunRound(); }) {}

EngagementReader::~EngagementReader() {
  stopping_ = true;
  pool_.join();
}

void EngagementReader::Start() {
  if (service_.engagement_schedule().ages.empty()) return;
  rounds_.Start();
}

void EngagementReader::Stop() {
  stopping_ = true;
  rounds_.Stop();
}

bool EngagementReader::PublishingBusy(Instant now) {
  return internal::PublishingBusy(service_, publishes_in_flight_, options_.publish_margin, now);
}

int EngagementReader::RunRound() {
  const auto& schedule = service_.engagement_schedule();
  if (schedule.ages.empty() || stopping_) return 0;
  Instant now = clock_.Now();
  if (PublishingBusy(now)) return 0;
  auto targets = store_.EngagementTargets(now - schedule.span() - kLateReads, static_cast<int>(schedule.ages.size()),
                                          options_.max_targets);
  if (!targets) {
    spdlog::error("engagement: looking for due reads failed: {}; they stay due", targets.error().ToString());
    return 0;
  }
  struct Due {
    storage::EngagementTarget target;
    int point;
    connectors::Connector* connector;
    std::string platform;
  };
  std::vector<Due> due;
  for (auto& t : *targets) {
    auto next = scheduler::NextEngagementRead(schedule, t.published_at, t.last_point, now);
    if (!next || next->at > now) continue;
    Post as_post;
    as_post.id = t.post_id;
    as_post.organization = t.organization;
    as_post.account = t.account;
    auto [connector, platform] = connectors_(as_post);
    if (connector == nullptr || !connector->ReadsEngagement()) continue;
    if (holds_.HeldUntil(t.account, now)) continue;
    auto claimed = store_.ClaimEngagementRead({t.organization, t.post_id, next->point, options_.process,
                                               now + options_.claim, now});
    if (!claimed) {
      spdlog::warn("engagement: claiming read {} of post {} failed: {}", next->point, t.post_id,
                   claimed.error().ToString());
      continue;
    }
    if (!*claimed) continue;  // another process has it
    due.push_back({std::move(t), next->point, connector, platform});
  }
  if (due.empty()) return 0;
  // The reads run on the pool, at most `concurrency` at once beside this round.
  std::latch done(static_cast<std::ptrdiff_t>(due.size()));
  for (auto& d : due) {
    boost::asio::post(pool_, [this, &d, &done] {
      Read(d.target, d.point, *d.connector, d.platform);
      done.count_down();
    });
  }
  done.wait();
  return static_cast<int>(due.size());
}

void EngagementReader::Read(const storage::EngagementTarget& t, int point, connectors::Connector& connector,
                            const std::string& platform) {
  Instant now = clock_.Now();
  if (stopping_ || holds_.HeldUntil(t.account, now)) {
    // Stopping, or the account got paused since the claim: the point goes
    // back, for whoever looks next.
    if (auto r = store_.DeferEngagementRead(t.post_id, point, options_.process, now, "not read yet"); !r) {
      spdlog::warn("engagement: giving back read {} of post {} failed: {}", point, t.post_id, r.error().ToString());
    }
    return;
  }
  connectors::EngagementResult result =
      connector.ReadEngagement({t.post_id, t.organization, t.account, t.remote_id, t.remote_url, now});
  now = clock_.Now();
  if (result.http_status == 401 || result.http_status == 403) {
    service_.ReportCredentialsRefused(t.account, result.http_status, result.why,
                                      "read" + std::to_string(t.post_id) + "p" + std::to_string(point));
  }
  std::string outcome;
  Result<void> stored;
  if (result.kind == Kind::kRetryLater) {
    outcome = "retry_later";
    // A transport failure puts off this read only; an answer from the
    // platform (429, 5xx) holds the account.
    const Instant until = holds_.PutOff(t.account, result.retry_at, now, result.http_status != 0);
    stored = store_.DeferEngagementRead(t.post_id, point, options_.process, until, result.why);
    spdlog::info("engagement: post {} on {}: read {} deferred to {}: {}", t.post_id, t.account, point,
                 FormatRfc3339(until), result.why);
  } else {
    EngagementRead read{t.post_id, t.organization, point, now, EngagementOutcome::kRead, result.counts, result.why};
    if (result.kind == Kind::kGone) read.outcome = EngagementOutcome::kGone;
    if (result.kind == Kind::kFailed || result.kind == Kind::kNotSupported) read.outcome = EngagementOutcome::kFailed;
    outcome = std::string(EngagementOutcomeName(read.outcome));
    holds_.Succeeded(t.account, result.hold_until);
    stored = store_.FinishEngagementRead(read, options_.process);
    if (read.outcome == EngagementOutcome::kRead) {
      spdlog::info("engagement: post {} on {}: read {}: {} interactions", t.post_id, t.account, point,
                   read.counts.Interactions());
    } else {
      spdlog::warn("engagement: post {} on {}: read {}: {} ({})", t.post_id, t.account, point, outcome, result.why);
    }
  }
  if (!stored) {
    spdlog::error("engagement: storing read {} of post {} failed: {}", point, t.post_id, stored.error().ToString());
  }
  service_.RecordEngagementRead(platform, outcome);
}

}  // namespace herald::runtime
