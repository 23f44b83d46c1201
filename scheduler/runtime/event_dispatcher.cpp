#include "scheduler/runtime/event_dispatcher.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <latch>
#include <vector>

#include "connectors/webhook/webhook_connector.h"

namespace herald::runtime {

using Kind = connectors::EventAnswer::Kind;

namespace {

// A secret file usually ends with a line break; it is not part of the secret.
std::string TrimmedSecret(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

std::string EventBody(const storage::Event& event) {
  // The payload is stored as JSON text: it goes out as stored.
  return "{\"type\":\"" + std::string(EventTypeName(event.type)) + "\",\"id\":\"" + event.id +
         "\",\"timestamp\":\"" + FormatRfc3339(event.at) + "\",\"data\":" + event.payload + "}";
}

EventDispatcher::EventDispatcher(boost::asio::io_context& io, Service& service, storage::Store& store,
                                 const Clock& clock, EventSender send, SecretResolver resolve,
                                 EventDispatcherOptions options)
    : service_(service), store_(store), clock_(clock), send_(std::move(send)), resolve_(std::move(resolve)),
      options_(std::move(options)),
      claim_prefix_(options_.process + "-" + std::to_string(std::random_device{}())),
      // One thread more than deliveries at once: a round waits on one for its deliveries.
      pool_(static_cast<size_t>(std::max(1, options_.concurrency) + 1)),
      timer_(io, pool_, options_.every, [this] { (void)RunRound(); }) {}

EventDispatcher::~EventDispatcher() {
  stopping_ = true;
  pool_.join();
}

void EventDispatcher::Start() { timer_.Start(); }

void EventDispatcher::Stop() {
  stopping_ = true;
  timer_.Stop();
}

void EventDispatcher::Route(Instant now) {
  auto events = store_.UnroutedEvents(options_.route_batch);
  if (!events) {
    spdlog::warn("events: cannot read the events to route: {}", events.error().message());
    return;
  }
  if (events->empty()) return;
  // All in one transaction: a commit per event was one durable write per post
  // created, made by every daemon sharing the database.
  std::vector<storage::Store::EventRoute> routes;
  routes.reserve(events->size());
  for (const storage::Event& e : *events) {
    std::vector<std::string> urls;
    for (const policies::EventSubscription& sub : service_.Subscriptions(e.organization))
      if (sub.Wants(e.type)) urls.push_back(sub.url);
    routes.push_back({e.id, e.organization, std::move(urls)});
  }
  if (auto r = store_.RouteEvents(routes, now); !r) {
    spdlog::warn("events: cannot route {} events from {}: {}", routes.size(), routes.front().event_id,
                 r.error().message());
  }
}

void EventDispatcher::Prune(Instant now) {
  if (pruned_at_ && now - *pruned_at_ < options_.prune_every) return;
  pruned_at_ = now;
  auto removed = store_.PruneEvents(now - options_.keep);
  if (!removed) {
    spdlog::warn("events: cannot forget old events: {}", removed.error().message());
  } else if (*removed > 0) {
    spdlog::info("events: forgot {} finished deliveries and events older than {}", *removed,
                 FormatDuration(options_.keep));
  }
}

int EventDispatcher::RunRound() {
  const Instant now = clock_.Now();
  Route(now);
  Prune(now);
  if (auto r = service_.RecordResumes(now); !r) spdlog::warn("events: account.resumed not recorded: {}", r.error().message());
  if (auto r = service_.RecordInboxOverdue(now, options_.keep); !r) {
    spdlog::warn("events: inbox.item_overdue not recorded: {}", r.error().message());
  }
  const std::string token = claim_prefix_ + "-" + std::to_string(++rounds_);
  auto claimed = store_.ClaimDeliveries(
      {token, now, now + options_.claim, std::max(1, options_.concurrency) * 4});
  if (!claimed) {
    spdlog::warn("events: cannot claim deliveries: {}", claimed.error().message());
    return 0;
  }
  if (claimed->empty()) return 0;
  // At most `concurrency` at once: the claimed ones are shared out over that many tasks.
  const size_t workers = std::min(claimed->size(), static_cast<size_t>(std::max(1, options_.concurrency)));
  std::atomic<size_t> next{0};
  std::latch done(static_cast<std::ptrdiff_t>(workers));
  for (size_t w = 0; w < workers; ++w) {
    boost::asio::post(pool_, [&] {
      for (size_t i = next++; i < claimed->size(); i = next++) {
        if (!stopping_) Attempt((*claimed)[i], token);
      }
      done.count_down();
    });
  }
  done.wait();
  return static_cast<int>(claimed->size());
}

Duration EventDispatcher::Jittered(Duration base) {
  std::lock_guard lock(mu_);
  std::uniform_real_distribution<double> factor(0.8, 1.2);
  return Duration{static_cast<int64_t>(static_cast<double>(base.count()) * factor(rng_))};
}

void EventDispatcher::Attempt(const storage::ClaimedDelivery& claimed, const std::string& token) {
  const storage::EventDelivery& d = claimed.delivery;
  storage::DeliveryOutcome out{d.id, token, DeliveryState::kPending, d.attempts + 1, std::nullopt, {}, {}, {}};
  std::optional<policies::EventSubscription> sub;
  for (auto& s : service_.Subscriptions(d.organization))
    if (s.url == d.url) sub = std::move(s);
  Kind kind = Kind::kRetry;
  if (!sub) {
    kind = Kind::kRefused;
    out.last_error = "the subscription to " + d.url + " is no longer in the organisation's policy";
  } else if (auto secret = resolve_(sub->secret); !secret) {
    out.last_error = "the subscription's secret cannot be read: " + secret.error().message();
  } else if (auto key = connectors::WebhookKeyFromSecret(TrimmedSecret(*secret)); !key) {
    out.last_error = "the subscription's secret: " + key.error().message();
  } else {
    const Instant sent = clock_.Now();
    connectors::EventAnswer answer =
        send_({d.url, *key, claimed.event.id, sent.time_since_epoch().count(), EventBody(claimed.event)});
    kind = answer.kind;
    out.last_status = answer.status;
    out.last_error = answer.why;
  }
  const Instant now = clock_.Now();
  out.at = now;
  out.next_attempt = now;
  std::string outcome;
  switch (kind) {
    case Kind::kDelivered:
      out.state = DeliveryState::kDelivered;
      outcome = "delivered";
      break;
    case Kind::kGone:
    case Kind::kRefused:
      out.state = DeliveryState::kFailed;
      outcome = kind == Kind::kGone ? "gone" : "refused";
      break;
    case Kind::kRetry:
      if (auto delay = DeliveryRetryDelay(out.attempts)) {
        out.next_attempt = now + Jittered(*delay);
        outcome = "retry";
      } else {
        out.state = DeliveryState::kFailed;
        out.last_error += " (gave up after " + std::to_string(out.attempts) + " attempts)";
        outcome = "failed";
      }
      break;
  }
  service_.RecordEventDelivery(outcome);
  if (auto r = store_.FinishDelivery(out); !r) {
    spdlog::warn("events: delivery {} of {}: outcome not stored: {}", d.id, claimed.event.id, r.error().message());
  }
}

}  // namespace herald::runtime
