#include "storage/internal/group_commit.h"

#include <exception>
#include <future>
#include <string>
#include <utility>

namespace herald::storage::internal {
namespace {

// The transaction's own statements, prepared once on the writer connection:
// sqlite3_exec would parse them again for every write of every group.
Result<void> RunPrepared(Connection& db, std::string_view sql) {
  auto query = db.Prepare(sql);
  if (!query) return std::unexpected(query.error());
  return query->Run();
}

}  // namespace

struct GroupCommitter::Pending {
  Write write;
  Status status;
  std::promise<void> done;
};

GroupCommitter::GroupCommitter(std::unique_ptr<Connection> db)
    : db_(std::move(db)), thread_([this] { Loop(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

Status GroupCommitter::Run(Write write) {
  Pending pending{std::move(write), Status(), {}};
  auto done = pending.done.get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status(Code::kUnavailable, "the store is closing; retry after restart");
    queue_.push_back(&pending);
  }
  wake_.notify_one();
  done.wait();
  return std::move(pending.status);
}

void GroupCommitter::Loop() {
  std::vector<Pending*> group;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and drained
      group.assign(queue_.begin(), queue_.end());
      queue_.clear();
    }
    CommitGroup(group);
    for (Pending* pending : group) pending->done.set_value();
  }
}

void GroupCommitter::CommitGroup(const std::vector<Pending*>& group) {
  auto fail_all = [&](const Status& cause) {
    Status error(Code::kUnavailable, "nothing was stored: " + cause.message());
    for (Pending* pending : group) {
      if (pending->status.ok()) pending->status = error;
    }
  };
  if (auto r = RunPrepared(*db_, "BEGIN IMMEDIATE"); !r) {
    fail_all(r.error());
    return;
  }
  for (Pending* pending : group) {
    if (auto r = RunPrepared(*db_, "SAVEPOINT write"); !r) {
      pending->status = r.error();
      continue;
    }
    try {
      pending->status = pending->write(*db_);
    } catch (const std::exception& e) {
      pending->status = Status(Code::kInternal, std::string("a storage write threw: ") + e.what());
    }
    writes_.fetch_add(1);
    if (!db_->InTransaction()) {
      // SQLite rolled the whole transaction back (I/O error, disk full): the
      // writes before this one are gone too.
      fail_all(pending->status.ok() ? db_->LastError("the transaction was rolled back") : pending->status);
      return;
    }
    auto undo = pending->status.ok() ? Result<void>() : RunPrepared(*db_, "ROLLBACK TO write");
    auto release = RunPrepared(*db_, "RELEASE write");
    if (!undo || !release) {
      fail_all(!undo ? undo.error() : release.error());
      if (db_->InTransaction()) (void)db_->Exec("ROLLBACK");
      return;
    }
  }
  if (auto r = RunPrepared(*db_, "COMMIT"); !r) {
    fail_all(r.error());
    if (db_->InTransaction()) (void)db_->Exec("ROLLBACK");
    return;
  }
  commits_.fetch_add(1);
}

}  // namespace herald::storage::internal
