// The connector contract: what every connector promises whatever its
// platform, checked by connector_contract_test.cpp against each platform's
// fake. A ContractSubject says only what differs per platform: how its fake is
// started, how its connector is built, which request creates the post, and
// what its rate-limit answer looks like.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "tests/connectors/connector_testing.h"
#include "tests/support/fake_server.h"

namespace herald::testing {

// A running platform fake as the contract sees it.
class ContractPlatform {
 public:
  virtual ~ContractPlatform() = default;
  virtual FakeServer& server() = 0;
  // The platform's own ids of the posts it holds, in creation order.
  virtual std::vector<std::string> PostIds() const = 0;
};

struct ContractSubject {
  std::string name;  // the connector's name, "mastodon"
  std::function<std::unique_ptr<ContractPlatform>()> start;
  // Builds the connector for a server at `root` ("http://127.0.0.1:PORT"):
  // the subject adds its own path prefix.
  std::function<Result<std::unique_ptr<connectors::Connector>>(const std::string& root,
                                                               const connectors::ConnectorContext& context)>
      make;
  std::map<std::string, std::string> secrets;        // the valid ones
  std::map<std::string, std::string> wrong_secrets;  // a revoked credential
  std::function<connectors::PublishRequest()> request;
  std::string create_path;  // a part of the path of the request that publishes the post
  Fault rate_limited;       // the platform's 429 (or throttle) with its headers
  Instant retry_at;         // what `rate_limited` means
  // Makes the platform publish the next post but answer only after `delay`;
  // when empty, a fault on `create_path` does.
  std::function<void(ContractPlatform&, std::chrono::milliseconds delay)> stall_publish = {};
};

// Every connector's subject (connector_contract_test.cpp).
std::vector<ContractSubject> ContractSubjects();

// Wraps a platform fake: `server` and `ids` read it.
template <class Fake>
class HeldPlatform final : public ContractPlatform {
 public:
  template <class... Args>
  explicit HeldPlatform(std::function<FakeServer&(Fake&)> server,
                        std::function<std::vector<std::string>(const Fake&)> ids, Args&&... args)
      : fake_(std::forward<Args>(args)...), server_(std::move(server)), ids_(std::move(ids)) {}

  Fake& fake() { return fake_; }
  FakeServer& server() override { return server_(fake_); }
  std::vector<std::string> PostIds() const override { return ids_(fake_); }

 private:
  Fake fake_;
  std::function<FakeServer&(Fake&)> server_;
  std::function<std::vector<std::string>(const Fake&)> ids_;
};

}  // namespace herald::testing
