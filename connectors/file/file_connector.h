// The `file` connector: publishes a post by appending one JSON line to
// <outbox>/<account>.jsonl and fsyncing it. The outbox is its own source of
// truth: Lookup finds a post by id there, so after a crash a post is written
// exactly once. Thread-safe (one mutex serialises appends and lookups).
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "connectors/connector.h"

namespace herald::connectors {

class FileConnector : public Connector {
 public:
  explicit FileConnector(std::string outbox_dir);

  PublishResult Publish(const PublishRequest& request) override;
  std::optional<PublishResult> Lookup(const PublishRequest& request) override;

  // The outbox file of an account.
  std::string PathFor(const std::string& account) const;

 private:
  std::optional<PublishResult> Find(const PublishRequest& request);
  // The (organization, id) pairs in an account's outbox file, read from the
  // file once and kept up to date by Publish. REQUIRES: mu_ held.
  std::set<std::pair<std::string, int64_t>>& IndexOf(const std::string& account);

  std::string dir_;
  std::mutex mu_;  // serialises appends, scans and the index
  std::map<std::string, std::set<std::pair<std::string, int64_t>>> index_;  // guarded by mu_
};

}  // namespace herald::connectors
