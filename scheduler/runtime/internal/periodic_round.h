// PeriodicRound: the timer of a background task (the engagement and inbox
// readers, the event dispatcher). Every `every` it hands one round to the
// task's thread pool, off the event loop; a tick that comes while the last
// round still runs is skipped, so rounds never overlap and a slow one does not
// pile up work.
//
// Start and Stop may be called from any thread; the timer lives on the event
// loop. The pool outlives this and is joined by its owner.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

namespace herald::runtime::internal {

class PeriodicRound {
 public:
  PeriodicRound(boost::asio::io_context& io, boost::asio::thread_pool& pool, std::chrono::milliseconds every,
                std::function<void()> round);

  void Start();
  // No new rounds; the one under way finishes.
  void Stop();

 private:
  void Arm();

  boost::asio::steady_timer timer_;  // event loop only
  boost::asio::thread_pool& pool_;
  const std::chrono::milliseconds every_;
  const std::function<void()> round_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};
};

}  // namespace herald::runtime::internal
