// The Service's engagement side: a post's series and the rollups the API
// shows, and what the runtime's EngagementReader asks of the Service (the
// schedule, pauses, platforms, counters). Reads of the series go straight to
// the store: they never take the plan's lock for longer than a policy lookup.
#include <algorithm>

#include "scheduler/runtime/internal/service_impl.h"
#include "scheduler/runtime/service.h"

namespace herald::runtime {

namespace {

constexpr auto kMaxRollupSpan = std::chrono::days{366};

}  // namespace

Result<EngagementSeries> Service::Engagement(const Caller& caller, int64_t id) {
  auto& s = *impl_;
  auto post = s.store_.GetPost(caller.organization, id);
  if (!post) return std::unexpected(post.error());
  auto reads = s.store_.ListEngagement(caller.organization, id);
  if (!reads) return std::unexpected(reads.error());
  EngagementSeries out{post->id, post->account, PlatformOf(post->account), post->published_at, std::move(*reads), {},
                       std::nullopt, false};
  std::optional<int> last_point;
  const EngagementRead* latest = nullptr;
  for (const auto& r : out.reads) {
    last_point = std::max(last_point.value_or(r.point), r.point);
    if (r.outcome == EngagementOutcome::kGone) out.gone = true;
    if (r.outcome == EngagementOutcome::kRead) latest = &r;
  }
  std::string connector;
  {
    std::lock_guard lock(s.mu_);
    connector = s.policies_.ConnectorOf(post->account);
  }
  // Before the first read, what the account's connector is documented to read
  // (a Bluesky account published through the file connector reads nothing).
  out.not_available = latest != nullptr ? latest->counts.NotAvailable()
                                        : EngagementNotExposed(connector.empty() ? out.platform : connector);
  const bool readable = out.not_available.size() < kEngagementMetrics.size();
  if (!out.gone && readable && post->state == PostState::kPublished && post->published_at) {
    if (auto next = scheduler::NextEngagementRead(s.options_.engagement, *post->published_at, last_point,
                                                  s.clock_.Now())) {
      out.next_read = next->at;
    }
  }
  return out;
}

Result<EngagementRollupView> Service::Engagement(const Caller& caller, const EngagementRollupRequest& request) {
  auto& s = *impl_;
  const Instant to = request.to.value_or(s.clock_.Now() + std::chrono::seconds{1});
  const Instant from = request.from.value_or(to - std::chrono::days{30});
  if (to <= from) return std::unexpected(Status(Code::kInvalidArgument, "to must be after from"));
  if (to - from > kMaxRollupSpan) {
    return std::unexpected(Status(Code::kInvalidArgument, "from and to may be at most 366 days apart"));
  }
  EngagementRollupView view{from, to, {"promo", "promotional"}, {}};
  {
    std::lock_guard lock(s.mu_);
    if (request.account) {
      if (auto g = s.policies_.AccountOf(caller.organization, *request.account); !g) return std::unexpected(g.error());
    }
    if (const policies::Policy* policy = s.policies_.PolicyOf(caller.organization)) {
      for (const auto& mix : policy->frequency.mix) view.promotional_labels.push_back(mix.label);
    }
  }
  std::sort(view.promotional_labels.begin(), view.promotional_labels.end());
  view.promotional_labels.erase(std::unique(view.promotional_labels.begin(), view.promotional_labels.end()),
                                view.promotional_labels.end());
  auto samples = s.store_.EngagementSamples({caller.organization, request.account, from, to});
  if (!samples) return std::unexpected(samples.error());
  if (request.label) {
    std::erase_if(*samples, [&](const EngagementSample& sample) {
      return std::find(sample.labels.begin(), sample.labels.end(), *request.label) == sample.labels.end();
    });
  }
  view.rollup = RollUp(*samples, view.promotional_labels);
  return view;
}

const scheduler::EngagementSchedule& Service::engagement_schedule() const { return impl_->options_.engagement; }

std::optional<Instant> Service::PausedUntil(const std::string& account, Instant now) {
  std::lock_guard lock(impl_->mu_);
  const AccountPause* pause = impl_->PauseOf(account, now);
  if (pause == nullptr) return std::nullopt;
  return pause->until;
}

std::string Service::PlatformOf(const std::string& account) {
  std::lock_guard lock(impl_->mu_);
  auto org = impl_->policies_.OrganizationOf(account);
  if (!org) return {};
  const policies::Policy* policy = impl_->policies_.PolicyOf(*org);
  const policies::Account* a = policy != nullptr ? policy->FindAccount(account) : nullptr;
  return a != nullptr ? a->platform : std::string();
}

void Service::RecordEngagementRead(const std::string& platform, const std::string& outcome) {
  std::lock_guard lock(impl_->mu_);
  impl_->telemetry_.RecordEngagementRead(platform, outcome);
}

}  // namespace herald::runtime
