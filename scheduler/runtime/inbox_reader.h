// InboxReader: reads what people wrote to the organisations' accounts
// (Connector::ReadInbox) every `every` (server config inbox.read_every), gives
// each new item its department with the policy's router, and stores it once
// (docs/inbox.md). Where an account's reads stand (its cursor, who reads it,
// when it may be read again) lives in the store, never in memory: a restart
// or another daemon on the same database picks up where the last read stopped.
//
// Reading never competes with publishing: rounds run on the reader's own
// thread, one account at a time; no round (and no further page) starts while
// a publish is in flight or due within `publish_margin`; an account is not
// read while it is paused (rate limit, open breaker), nor before the reset an
// answer said its budget is nearly spent at; 429 and 5xx back the account off
// (exponentially, or to the platform's reset). Each account's read is claimed
// with a conditional write, so two daemons never read one account at once.
// Memory is bounded: a page is routed, stored and dropped before the next.
//
// Thread-safe: Start and Stop may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
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

struct InboxReaderOptions {
  std::chrono::milliseconds every{std::chrono::minutes{2}};  // per account
  int max_pages = 5;                                         // per account per round
  Duration claim{std::chrono::minutes{2}};                   // how long a read stays this process's
  // No round (or page) starts while a publish is due this soon.
  Duration publish_margin{std::chrono::seconds{3}};
  // Per account after a 429 or 5xx that named no time.
  connectors::Backoff backoff{std::chrono::seconds{30}, std::chrono::minutes{30}, 0};
  std::string process = "herald";  // as named in claims
};

class InboxReader {
 public:
  // `service`, `store`, `clock` and the connectors outlive this.
  InboxReader(boost::asio::io_context& io, Service& service, storage::Store& store, const Clock& clock,
              ConnectorLookup connectors, std::function<int64_t()> publishes_in_flight,
              InboxReaderOptions options = {});
  ~InboxReader();  // waits for the round under way

  void Start();
  // No new rounds; the page under way finishes.
  void Stop();

  // One round now, on the calling thread (tests): reads every account that
  // is due, and returns how many new items it stored.
  int RunRound();

 private:
  // Reads one claimed account, page by page; returns the new items stored.
  int ReadAccount(const std::string& organization, const std::string& account, connectors::Connector& connector,
                  const std::string& platform, Instant started);
  bool PublishingBusy(Instant now);
  // Routes the organisation's open items again when its routing changed
  // since they were last routed (or since this reader started).
  void RerouteIfChanged(const std::string& organization);
  void Release(const std::string& organization, const std::string& account, Instant next_at, const std::string& why);

  Service& service_;
  storage::Store& store_;
  const Clock& clock_;
  const ConnectorLookup connectors_;
  const std::function<int64_t()> publishes_in_flight_;
  const InboxReaderOptions options_;
  boost::asio::thread_pool pool_{1};
  std::atomic<bool> stopping_{false};
  internal::ReadHolds holds_;
  internal::PeriodicRound rounds_;
  // Per organisation, the routing its open items were last routed by
  // (internal::RoutingKey); only the round's thread touches it.
  std::map<std::string, std::string> routed_;
};

}  // namespace herald::runtime
