// PgChangeListener: tells this process when another herald process changed an
// account's posts on the same PostgreSQL database. It LISTENs on a connection
// of its own, on a thread of its own, reconnecting with backoff (100 ms doubling
// to 5 s) when the connection breaks; notices sent by this process
// (`instance_id`) are ignored.
//
// Notices are "instance|organization|account" on the channel kChangeChannel
// (PostgresStore sends them after each committed write). They are told in
// batches, at most one batch per `interval`: the first notice after a quiet
// interval is told at once; while notices keep arriving, the accounts they
// name are gathered and told together `interval` after the previous batch
// began, each account once. So a notice is told at most `interval` after it
// arrived (or, when a batch's `on_change` runs longer than `interval`, as soon
// as that batch returns); what is pending when the connection breaks is told
// before reconnecting.
//
// Thread-safety: `on_change` runs on the listener's thread. Destroying the
// listener stops and joins that thread; `on_change` is not called after.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace herald::storage::internal {

class PgConnection;

inline constexpr std::string_view kChangeChannel = "herald_changes";

class PgChangeListener {
 public:
  // (organization, account) pairs, each once, in no particular order.
  using OnChange = std::function<void(std::vector<std::pair<std::string, std::string>> accounts)>;

  PgChangeListener(std::string url, std::string instance_id, std::chrono::milliseconds interval, OnChange on_change);
  ~PgChangeListener();
  PgChangeListener(const PgChangeListener&) = delete;
  PgChangeListener& operator=(const PgChangeListener&) = delete;

 private:
  // Waits up to `ms` for `fd` (or only for the stop signal when fd < 0);
  // false when stopping.
  bool Wait(int fd, int ms);
  void Loop();
  // Returns when stopping or when the connection broke.
  void Listen(PgConnection& conn);

  const std::string url_;
  const std::string instance_id_;
  const std::chrono::milliseconds interval_;
  const OnChange on_change_;
  int wake_[2] = {-1, -1};  // a pipe: one byte written wakes Wait to stop
  std::atomic<bool> stopping_{false};
  std::thread thread_;  // last: started once everything above is set
};

}  // namespace herald::storage::internal
