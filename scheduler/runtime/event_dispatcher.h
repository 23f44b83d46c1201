// EventDispatcher: delivers the events recorded in the store to the
// organisations' subscribers (docs/events.md). Every `every` a round, off the
// event loop:
//   1. routes new events: one pending delivery per subscription of the
//      event's organisation that wants its type (a conditional write, so of
//      several daemons on one database one routes each event);
//   2. records account.resumed for pauses that ended (Service::RecordResumes);
//   3. claims due deliveries for `claim` (a conditional write: each attempt is
//      made by one daemon) and sends them, at most `concurrency` at once, on
//      its own threads, signed as Standard Webhooks;
//   4. stores each outcome: delivered (2xx), failed for good (410 Gone, a
//      refused URL, a removed subscription, or the last attempt spent), or
//      pending again after DeliveryRetryDelay with jitter.
// Publishing never waits for it: it shares no thread and no lock with the
// runtime's publishing path, and a receiver that never answers holds one of
// its own threads for the client's read timeout at most.
//
// Thread-safe: Start and Stop may be called from any thread; rounds run on
// the dispatcher's own threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "connectors/event_delivery.h"
#include "core/clock.h"
#include "policies/policy.h"
#include "scheduler/runtime/internal/periodic_round.h"
#include "scheduler/runtime/service.h"
#include "storage/store.h"

namespace herald::runtime {

struct EventDispatcherOptions {
  int concurrency = 2;                        // deliveries at once
  std::chrono::milliseconds every{1000};      // between rounds
  Duration claim{std::chrono::minutes{2}};    // how long a claimed delivery stays this process's
  int route_batch = 500;                      // events routed per round
  std::string process = "herald";             // as named in claims
  // Finished deliveries and events are forgotten this long after
  // (Store::PruneEvents), checked every `prune_every`; inbox items overdue
  // for longer are not told again after a restart.
  Duration keep{std::chrono::days{30}};
  Duration prune_every{std::chrono::hours{1}};
};

// Sends one signed event (connectors::SendEvent with the daemon's client and
// allow-list, in the composition root).
using EventSender = std::function<connectors::EventAnswer(const connectors::EventMessage&)>;
// The text of a secret given by reference (env:NAME, file:/path).
using SecretResolver = std::function<Result<std::string>(const policies::SecretRef&)>;

class EventDispatcher {
 public:
  // `service`, `store` and `clock` outlive this.
  EventDispatcher(boost::asio::io_context& io, Service& service, storage::Store& store, const Clock& clock,
                  EventSender send, SecretResolver resolve, EventDispatcherOptions options = {});
  ~EventDispatcher();  // waits for the deliveries under way

  void Start();
  // No new rounds; deliveries under way finish.
  void Stop();

  // One round now, on the calling thread (tests): routes, claims and attempts
  // every due delivery, and returns how many attempts it made.
  int RunRound();

 private:
  void Route(Instant now);
  void Prune(Instant now);
  void Attempt(const storage::ClaimedDelivery& claimed, const std::string& token);
  Duration Jittered(Duration base);

  Service& service_;
  storage::Store& store_;
  const Clock& clock_;
  const EventSender send_;
  const SecretResolver resolve_;
  const EventDispatcherOptions options_;
  const std::string claim_prefix_;  // the process and a random number: claim tokens are unique
  boost::asio::thread_pool pool_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> rounds_{0};

  std::mutex mu_;
  std::mt19937_64 rng_{std::random_device{}()};  // guarded by mu_
  std::optional<Instant> pruned_at_;              // rounds only (one at a time)
  internal::PeriodicRound timer_;
};

// The JSON body of an event as it is sent: {"type", "timestamp", "data"}.
std::string EventBody(const storage::Event& event);

}  // namespace herald::runtime
