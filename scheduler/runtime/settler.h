// Settler: where the runtime's publish outcomes go to be written. A publish
// thread hands its outcome over (Add) and goes on to the next post; the
// settler's own thread takes every outcome queued so far (at most
// `max_batch`) and settles them together with Service::SettleMany: one
// transaction for many posts, their accounts locked in one statement on a
// shared store. So a burst costs a few commits, not one per post, and the
// publish threads never hold a database connection.
//
// An outcome is never dropped while the daemon runs: one whose write failed in
// a way the store may recover from is kept and tried again, 250 ms doubling to
// 30 s. Once stopping (Stop), a failed write is not tried again: the post stays
// `publishing` and the next start asks the platform about it (the same path as
// a crash between send and settle). Every outcome ends in exactly one call of
// `finished`, on the settler's thread.
//
// Thread-safe: Add and Stop from any thread. The destructor settles what is
// queued (once more for those waiting to be retried), then joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "connectors/connector.h"
#include "scheduler/runtime/service.h"

namespace herald::runtime {

class Settler {
 public:
  struct Outcome {
    int64_t id = 0;
    std::string account;
    connectors::PublishResult result;
    bool answers_lookup = true;  // whether the post's connector can be asked later
    int failures = 0;            // writes of it that failed so far
  };

  Settler(Service& service, std::function<void(const Outcome&)> finished, size_t max_batch = 500);
  Settler(const Settler&) = delete;
  Settler& operator=(const Settler&) = delete;
  ~Settler();

  void Add(Outcome outcome);
  // From now on, outcomes waiting to be tried again are tried at once, and a
  // failed write is given up (logged; the post stays publishing).
  void Stop();

  // Settle transactions run so far, and outcomes written. For tests and logs.
  int64_t batches() const;
  int64_t settled() const;

 private:
  void Loop();
  void SettleBatch(std::deque<Outcome> batch);

  Service& service_;
  const std::function<void(const Outcome&)> finished_;
  const size_t max_batch_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Outcome> ready_;                                              // guarded by mu_
  std::multimap<std::chrono::steady_clock::time_point, Outcome> later_;   // guarded by mu_; retries by due time
  bool stopping_ = false;                                                  // guarded by mu_
  bool closing_ = false;                                                   // guarded by mu_
  int64_t batches_ = 0;                                                    // guarded by mu_
  int64_t settled_ = 0;                                                    // guarded by mu_
  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace herald::runtime
