// GroupCommitter: runs the writes of many threads on one writer connection,
// many writes per transaction.
//
// Its thread takes every write queued so far, runs them inside one
// BEGIN IMMEDIATE ... COMMIT, each in its own SAVEPOINT so that a write that
// fails rolls back only itself and gets its own error, commits, and only then
// wakes each caller. Under synchronous=FULL one fsync acknowledges the whole
// group.
//
// Thread-safe: any thread may call Run. The destructor finishes every queued
// write and joins the thread; calling Run concurrently with the destructor is
// a bug.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"
#include "storage/internal/sqlite.h"

namespace herald::storage::internal {

class GroupCommitter {
 public:
  // A write runs inside the writer's transaction. It returns its own outcome;
  // on failure everything it did is rolled back. It must not BEGIN, COMMIT or
  // ROLLBACK itself, and must not throw.
  using Write = std::function<Status(Connection&)>;

  explicit GroupCommitter(std::unique_ptr<Connection> db);
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;
  ~GroupCommitter();

  // Blocks until `write` is committed (OK) or has failed (its error, or
  // Unavailable when the group's commit failed: then nothing of it is stored).
  Status Run(Write write);

  // Transactions committed, and writes that ran, so far. For tests and metrics.
  int64_t commits() const { return commits_.load(); }
  int64_t writes() const { return writes_.load(); }

 private:
  struct Pending;

  void Loop();
  void CommitGroup(const std::vector<Pending*>& group);

  std::unique_ptr<Connection> db_;  // used only by thread_
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending*> queue_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::atomic<int64_t> commits_{0};
  std::atomic<int64_t> writes_{0};
  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace herald::storage::internal
