// The `file` connector: publishes a post by appending one JSON line to
// <outbox>/<account>.jsonl and fsyncing it. The outbox is its own source of
// truth: Lookup finds a post by id there, so after a crash a post is written
// exactly once. Thread-safe (one mutex serialises appends and lookups).
#pragma once

#include <mutex>
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

  std::string dir_;
  std::mutex mu_;  // serialises appends and scans of the outbox files
};

}  // namespace herald::connectors
