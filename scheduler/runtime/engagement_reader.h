// EngagementReader: reads published posts' engagement back on the schedule of
// ServiceOptions::engagement (docs/engagement.md). Every `every` it looks in
// the store for reads that are due, claims each with a conditional write (so
// two daemons on one database never make the same read), asks the post's
// connector (Connector::ReadEngagement) and stores the answer as a point of
// the post's series. What is due is derived from the stored reads, never from
// memory: a restart picks up where the last run stopped.
//
// Reading never competes with publishing: it runs on its own small pool (at
// most `concurrency` reads at once), starts no round while a publish is in
// flight or due within `publish_margin`, waits out an account's pauses (rate
// limit, open breaker), leaves an account alone until its reset once an answer
// says its budget is nearly spent, and backs off per account on 429 and 5xx.
//
// Thread-safe: Start and Stop may be called from any thread; rounds and reads
// run on the reader's own threads.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "connectors/backoff.h"
#include "core/clock.h"
#include "scheduler/runtime/connector_for.h"
#include "scheduler/runtime/internal/periodic_round.h"
#include "scheduler/runtime/internal/read_holds.h"
#include "scheduler/runtime/service.h"
#include "storage/store.h"

namespace herald::runtime {

struct EngagementReaderOptions {
  int concurrency = 2;  // reads at once
  // How often due reads are looked for; nullopt: a quarter of the schedule's
  // first age, from 250 ms to 30 s.
  std::optional<std::chrono::milliseconds> every;
  Duration claim{std::chrono::minutes{2}};  // how long a read stays this process's
  // No round starts while a publish is due this soon.
  Duration publish_margin{std::chrono::seconds{3}};
  // Per account after a 429 or 5xx that named no time.
  connectors::Backoff backoff{std::chrono::seconds{30}, std::chrono::minutes{30}, 0};
  int max_targets = 5000;  // posts looked at per round
  std::string process = "herald";  // as named in claims
};

class EngagementReader {
 public:
  // `service`, `store`, `clock` and the connectors outlive this.
  // `publishes_in_flight` says how many publishes the runtime has under way.
  EngagementReader(boost::asio::io_context& io, Service& service, storage::Store& store, const Clock& clock,
                   ConnectorLookup connectors, std::function<int64_t()> publishes_in_flight,
                   EngagementReaderOptions options = {});
  ~EngagementReader();  // waits for the reads under way

  // Arms the periodic timer (nothing when the schedule is empty).
  void Start();
  // No new rounds or reads; those under way finish.
  void Stop();

  // One round now, on the calling thread (tests): finds, claims and performs
  // every due read, and returns how many it performed.
  int RunRound();

 private:
  // Performs one claimed read and stores its outcome.
  void Read(const storage::EngagementTarget& target, int point, connectors::Connector& connector,
            const std::string& platform);
  bool PublishingBusy(Instant now);

  Service& service_;
  storage::Store& store_;
  const Clock& clock_;
  const ConnectorLookup connectors_;
  const std::function<int64_t()> publishes_in_flight_;
  const EngagementReaderOptions options_;
  boost::asio::thread_pool pool_;
  std::atomic<bool> stopping_{false};
  internal::ReadHolds holds_;
  internal::PeriodicRound rounds_;
};

}  // namespace herald::runtime
