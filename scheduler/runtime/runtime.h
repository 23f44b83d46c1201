// Runtime: the part of the daemon that fires. One steady_timer on a Boost.Asio
// io_context is armed for the earliest planned post (or the heartbeat period);
// when it fires, due posts are claimed from the Service and their publishes run
// on a thread pool, never on the event loop; their outcomes go to the Settler,
// which writes many per transaction. At most `publish_threads` publishes (so
// connections to platforms) run at once. At start it resolves posts a crash left `publishing` (the connector's
// Lookup decides: published, safe to publish, or unconfirmed); unconfirmed
// posts are asked about again on their schedule (UnconfirmedRecheck), on the
// pool too.
//
// Threading: Start, Wake and Stop may be called from any thread; handlers run on
// the io_context's thread; publishes on the pool.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "connectors/connector.h"
#include "scheduler/runtime/connector_for.h"
#include "scheduler/runtime/service.h"
#include "scheduler/runtime/settler.h"
#include "scheduler/runtime/unconfirmed_recheck.h"

namespace herald::runtime {


struct RuntimeOptions {
  std::chrono::milliseconds heartbeat{500};  // longest sleep between ticks
  // Posts are claimed (durably `publishing`) this long before their planned
  // time and handed to the connector at that time, so the claim's fsync does
  // not make them late.
  std::chrono::milliseconds lead{150};
  // When many posts fall due together (the top of the hour), claiming them
  // all takes longer than `lead`: they are then claimed earlier, twice as far
  // ahead as the claims so far took per post says it will take, but never
  // more than this. A post claimed ahead cannot be edited or cancelled any more.
  std::chrono::milliseconds max_lead{15000};
  // Publishes wait on the network, not on the CPU. This bounds the daemon's
  // connections to platforms too (each publish uses one at a time).
  int publish_threads = 64;
  // The most outcomes the settler writes in one transaction.
  size_t settle_batch = 500;
  // How often Service::Maintain runs (lease renewal, catch-up, orphans on a
  // shared store); well under ServiceOptions::lease.
  std::chrono::milliseconds maintain_every{3000};
  // How often due re-checks of unconfirmed posts are looked for (their
  // schedule counts in minutes).
  std::chrono::milliseconds recheck_every{1000};
};

class Runtime {
 public:
  Runtime(boost::asio::io_context& io, Service& service, const Clock& clock, ConnectorLookup connectors,
          RuntimeOptions options = {});
  ~Runtime();

  // Recovers in-flight posts, then arms the timer.
  void Start();
  // Re-arms the timer (the plan changed). Thread-safe.
  void Wake();
  // Stops firing new posts, waits up to `grace` for publishes in flight, then
  // calls `done` on the io_context.
  void Stop(std::chrono::milliseconds grace, std::function<void()> done);

  int64_t in_flight() const { return in_flight_.load(); }

 private:
  void Arm();
  void OnTimer(const boost::system::error_code& ec);
  void Fire();
  void Publish(Post post, bool recovering);
  // How far ahead of `next` (the earliest due post) to claim: `lead`, or
  // more when many posts are due by then (RuntimeOptions::max_lead).
  std::chrono::nanoseconds LeadFor(Instant next);
  void WaitForDrain(std::chrono::steady_clock::time_point deadline, std::function<void()> done);
  void MaybeMaintain();
  // Claims the due re-checks on a worker thread and runs each on another.
  void MaybeRecheck();

  boost::asio::io_context& io_;
  Service& service_;
  const Clock& clock_;
  ConnectorLookup connectors_;
  RuntimeOptions options_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::thread_pool pool_;
  // Maintenance (lease renewal) and claims of re-checks: a thread of their
  // own, so a burst of publishes queued on pool_ never delays the lease's
  // renewal until the other processes take this one's claims over.
  boost::asio::thread_pool upkeep_{1};
  std::atomic<int64_t> in_flight_{0};  // claimed, publishing or settling
  std::atomic<bool> stopping_{false};
  Settler settler_;  // after in_flight_, which its callback counts down
  std::atomic<bool> maintaining_{false};
  std::chrono::steady_clock::time_point last_maintain_{};  // event loop only
  UnconfirmedRecheck recheck_;
  std::atomic<bool> rechecking_{false};  // a claim of due re-checks is running
  std::chrono::steady_clock::time_point last_recheck_{};  // event loop only
  // After a failed claim, the next is not tried before this (event loop only):
  // a store that keeps failing must not turn the loop into a spin.
  std::chrono::steady_clock::time_point claim_not_before_{};
  // Event loop only. The latest the next tick may come: a wake re-arms the
  // timer, and without this bound a steady stream of wakes (creates, edits)
  // would push the tick, the heartbeat and lease renewal back for ever.
  std::chrono::steady_clock::time_point tick_by_{};
  int claim_failures_ = 0;  // in a row; event loop only
  // Event loop only: what claiming took per post lately (a guess until a
  // claim of many posts measured it), and the lead the last Arm chose.
  std::chrono::nanoseconds claim_cost_{std::chrono::microseconds{200}};
  std::chrono::nanoseconds lead_{};
};

}  // namespace herald::runtime
