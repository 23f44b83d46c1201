#include "scheduler/runtime/runtime.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <map>

namespace herald::runtime {

using namespace std::chrono;

Runtime::Runtime(boost::asio::io_context& io, Service& service, const Clock& clock, ConnectorLookup connectors,
                 RuntimeOptions options)
    : io_(io), service_(service), clock_(clock), connectors_(std::move(connectors)), options_(options),
      timer_(io), drain_timer_(io), pool_(static_cast<size_t>(std::max(1, options.publish_threads))),
      settler_(service, [this](const Settler::Outcome&) { --in_flight_; }, options.settle_batch),
      recheck_(service, clock, connectors_) {
  lead_ = options_.lead;
}

Runtime::~Runtime() {
  stopping_ = true;
  upkeep_.join();
  pool_.join();
}

void Runtime::Start() {
  // Counts as the first tick: the loop starts right after this, and /healthz
  // may be asked before its first handler ran (it then said "not started").
  service_.Heartbeat(clock_.Now());
  for (Post& p : service_.InFlight()) Publish(std::move(p), /*recovering=*/true);
  boost::asio::post(io_, [this] {
    service_.Heartbeat(clock_.Now());
    tick_by_ = steady_clock::now() + options_.heartbeat;
    Fire();
    Arm();
  });
}

void Runtime::Wake() {
  boost::asio::post(io_, [this] {
    if (!stopping_) Arm();
  });
}

void Runtime::Arm() {
  auto now = clock_.NowPrecise();
  auto wait = duration_cast<nanoseconds>(options_.heartbeat);
  lead_ = options_.lead;
  if (auto next = service_.NextDue()) {
    if (system_clock::time_point(*next) - now < options_.max_lead) lead_ = LeadFor(*next);
    auto until = system_clock::time_point(*next) - lead_ - now;
    wait = std::clamp(duration_cast<nanoseconds>(until), nanoseconds{0}, wait);
  }
  // Backing off after a failed claim: no earlier than the next try, but still
  // at least one tick per heartbeat period.
  auto backoff = duration_cast<nanoseconds>(claim_not_before_ - steady_clock::now());
  wait = std::max(wait, std::clamp(backoff, nanoseconds{0}, duration_cast<nanoseconds>(options_.heartbeat)));
  // Never later than a heartbeat period after the last tick, however often woken.
  wait = std::min(wait, std::max(nanoseconds{0}, duration_cast<nanoseconds>(tick_by_ - steady_clock::now())));
  timer_.expires_after(wait);
  timer_.async_wait([this](const boost::system::error_code& ec) { OnTimer(ec); });
}

nanoseconds Runtime::LeadFor(Instant next) {
  const nanoseconds most = duration_cast<nanoseconds>(options_.max_lead);
  const nanoseconds per_post = std::max(nanoseconds{1}, 2 * claim_cost_);
  // Counting stops where the lead would reach its bound anyway.
  size_t due = service_.CountDue(next, static_cast<size_t>(most / per_post) + 1);
  return std::clamp(per_post * static_cast<int64_t>(due), duration_cast<nanoseconds>(options_.lead), most);
}

void Runtime::OnTimer(const boost::system::error_code& ec) {
  if (ec == boost::asio::error::operation_aborted || stopping_) return;  // re-armed, or shutting down
  service_.Heartbeat(clock_.Now());
  tick_by_ = steady_clock::now() + options_.heartbeat;
  Fire();
  MaybeMaintain();
  MaybeRecheck();
  Arm();
}

void Runtime::MaybeMaintain() {
  auto now = steady_clock::now();
  if (maintaining_ || now - last_maintain_ < options_.maintain_every) return;
  last_maintain_ = now;
  maintaining_ = true;
  boost::asio::post(upkeep_, [this] {
    auto recovered = service_.Maintain();
    if (!recovered) {
      spdlog::error("maintenance (lease, catch-up, orphaned claims) failed: {}", recovered.error().ToString());
    } else {
      for (Post& p : *recovered) {
        spdlog::warn("post {} on {}: taken over from a process whose lease ended; asking the platform first", p.id, p.account);
        if (!stopping_) Publish(std::move(p), /*recovering=*/true);
      }
    }
    maintaining_ = false;
  });
}

void Runtime::MaybeRecheck() {
  auto now = steady_clock::now();
  if (rechecking_ || now - last_recheck_ < options_.recheck_every) return;
  last_recheck_ = now;
  rechecking_ = true;
  boost::asio::post(upkeep_, [this] {
    auto due = recheck_.ClaimDue();
    if (!due) {
      spdlog::error("claiming re-checks of unconfirmed posts failed: {}; they stay due", due.error().ToString());
    } else {
      for (Post& p : *due) {
        // Counted in flight: a stop waits for the answer, so the check is not
        // left claimed (and delayed by its lease) in the store.
        ++in_flight_;
        boost::asio::post(pool_, [this, p = std::move(p)] {
          (void)recheck_.Check(p);
          --in_flight_;
        });
      }
    }
    rechecking_ = false;
  });
}

void Runtime::Fire() {
  if (steady_clock::now() < claim_not_before_) return;
  auto now = clock_.NowPrecise();
  const Instant horizon = floor<seconds>(now + lead_);
  const auto started = steady_clock::now();
  auto claimed = service_.ClaimDue(horizon);
  if (!claimed) {
    // Due posts stay due; try again after 100 ms doubling to 5 s.
    auto delay = std::min(milliseconds{5000}, milliseconds{100 << std::min(claim_failures_, 6)});
    ++claim_failures_;
    claim_not_before_ = steady_clock::now() + delay;
    spdlog::error("claiming due posts failed ({} in a row): {}; next try in {} ms", claim_failures_,
                  claimed.error().ToString(), delay.count());
    return;
  }
  claim_failures_ = 0;
  // A claim of many posts tells what the next burst will cost.
  if (claimed->size() >= 100) {
    claim_cost_ = (claim_cost_ + (steady_clock::now() - started) / static_cast<int64_t>(claimed->size())) / 2;
  }
  // Posts left due by the claim: another process holds their account (a
  // shared store) or their write is in flight. Looked at again shortly, not
  // at once, so a held account does not turn the loop into a spin.
  if (auto next = service_.NextDue(); next && *next <= horizon) {
    claim_not_before_ = steady_clock::now() + milliseconds{20};
  }
  // Posts claimed ahead of time wait on the event loop for their second.
  std::map<Instant, std::vector<Post>> ahead;
  for (Post& p : *claimed) {
    if (p.planned_at && system_clock::time_point(*p.planned_at) > now) {
      ahead[*p.planned_at].push_back(std::move(p));
    } else {
      Publish(std::move(p), /*recovering=*/false);
    }
  }
  for (auto& [at, posts] : ahead) {
    in_flight_ += static_cast<int64_t>(posts.size());  // claimed: a stop waits for them too
    auto timer = std::make_shared<boost::asio::steady_timer>(io_);
    timer->expires_after(duration_cast<nanoseconds>(system_clock::time_point(at) - clock_.NowPrecise()));
    timer->async_wait([this, timer, posts = std::move(posts)](const boost::system::error_code&) mutable {
      for (Post& p : posts) {
        Publish(std::move(p), /*recovering=*/false);
        --in_flight_;
      }
    });
  }
}

void Runtime::Publish(Post post, bool recovering) {
  ++in_flight_;
  boost::asio::post(pool_, [this, post = std::move(post), recovering] {
    if (stopping_) {
      // Claimed but not started when the daemon began to stop: nothing was
      // sent, so the post goes back to the plan for the next start.
      connectors::PublishResult back{connectors::PublishResult::Kind::kRetryLater, {}, {},
                                     post.planned_at.value_or(clock_.Now()), "herald stopped before publishing it"};
      back.attempted = false;
      settler_.Add({post.id, post.account, std::move(back), true, 0});
      return;
    }
    auto [connector, platform] = connectors_(post);
    connectors::PublishRequest req = RequestFor(post, platform, clock_.Now(), service_.Attempt(post.id));
    connectors::PublishResult result;
    std::optional<double> lateness;
    if (!recovering && post.planned_at) {
      lateness = duration<double>(clock_.NowPrecise() - system_clock::time_point(*post.planned_at)).count();
    }
    auto started = steady_clock::now();
    std::optional<PublishOutcome> outcome;
    if (connector == nullptr) {
      outcome = PublishOutcome::kNoConnector;
      result = {connectors::PublishResult::Kind::kFailed, {}, {}, std::nullopt,
                "account " + post.account + " has no usable connector"};
    } else if (recovering) {
      // A crash left it publishing: ask before sending anything.
      auto found = connector->Lookup(req);
      if (!found) {
        result = {connectors::PublishResult::Kind::kUnknown, {}, {}, std::nullopt,
                  "the daemon stopped while publishing and the platform cannot tell whether the post exists"};
      } else if (found->kind == connectors::PublishResult::Kind::kFailed) {
        // Certainly not published: safe to send, but not now and not blindly:
        // back to the plan, so the rules are checked again at its new time
        // against what was published meanwhile (defer, never violate).
        result = {connectors::PublishResult::Kind::kRetryLater, {}, {}, clock_.Now(),
                  "not published before its daemon stopped (" + found->why + "); planned again"};
        result.attempted = false;
        result.resend_by = found->resend_by;
        outcome = PublishOutcome::kRecovered;
      } else {
        result = *found;
      }
    } else {
      result = connector->Publish(req);
    }
    if (!outcome) {
      using Kind = connectors::PublishResult::Kind;
      outcome = result.kind == Kind::kPublished    ? PublishOutcome::kPublished
                : result.kind == Kind::kRetryLater ? PublishOutcome::kRetryLater
                : result.kind == Kind::kFailed     ? PublishOutcome::kFailed
                                                   : PublishOutcome::kUnknown;
    }
    service_.RecordPublish(post.account, lateness, duration<double>(steady_clock::now() - started).count(), *outcome);
    settler_.Add({post.id, post.account, std::move(result), connector != nullptr && connector->AnswersLookup(), 0});
  });
}

void Runtime::Stop(milliseconds grace, std::function<void()> done) {
  boost::asio::post(io_, [this, grace, done = std::move(done)]() mutable {
    stopping_ = true;
    settler_.Stop();
    timer_.cancel();
    WaitForDrain(steady_clock::now() + grace, std::move(done));
  });
}

void Runtime::WaitForDrain(steady_clock::time_point deadline, std::function<void()> done) {
  if (in_flight_ == 0 || steady_clock::now() >= deadline) {
    if (in_flight_ != 0) spdlog::warn("{} publishes still in flight at shutdown", in_flight_.load());
    done();
    return;
  }
  drain_timer_.expires_after(milliseconds{20});
  drain_timer_.async_wait([this, deadline, done = std::move(done)](const boost::system::error_code&) mutable {
    WaitForDrain(deadline, std::move(done));
  });
}

}  // namespace herald::runtime
