// The `file` connector: publishes a post by appending one JSON line to
// <outbox>/<account>.jsonl and fsyncing it. The outbox is its own source of
// truth: Lookup finds a post by id there, so after a crash a post is written
// exactly once. Thread-safe: one mutex orders the appends; concurrent publishes
// share one fsync per file (group commit), so a burst of posts due in the same
// second is not written one flush at a time.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "connectors/connector.h"

namespace herald::connectors {

class FileConnector : public Connector {
 public:
  explicit FileConnector(std::string outbox_dir);
  ~FileConnector() override;

  PublishResult Publish(const PublishRequest& request) override;
  std::optional<PublishResult> Lookup(const PublishRequest& request) override;

  // The outbox file of an account.
  std::string PathFor(const std::string& account) const;

 private:
  // One account's outbox: an append-only descriptor, the (organization, id)
  // pairs already in it (read from the file, and again on every lookup), and the group-fsync state:
  // lines are numbered as written; `synced` is the last number known on disk.
  struct Outbox {
    int fd = -1;
    std::set<std::pair<std::string, int64_t>> ids;
    uint64_t written = 0;
    uint64_t synced = 0;
    bool syncing = false;
    bool failed = false;  // a write or fsync failed: unknown outcomes until a restart
    uint64_t read_offset = 0;  // the file is indexed up to here (whole lines)
  };

  // REQUIRES: mu_ held. Opens and indexes the account's outbox on first use;
  // nullptr (with `why`) when it cannot be opened.
  Outbox* OutboxOf(const std::string& account, std::string& why);
  PublishResult Published(const PublishRequest& request) const;
  // REQUIRES: mu_ held. Adds the ids of lines appended since the last read
  // (by this process or another sharing the outbox).
  void ReadNewLines(const std::string& account, Outbox& outbox);

  std::string dir_;
  std::mutex mu_;                    // guards outboxes_ and every Outbox
  std::condition_variable synced_;   // signalled when an fsync finishes
  std::map<std::string, Outbox> outboxes_;  // by account; nodes stay put
};

}  // namespace herald::connectors
