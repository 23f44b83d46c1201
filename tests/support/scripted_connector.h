// ScriptedConnector: a connector for tests whose Lookup answers from a script
// (nullopt once the script is spent) and whose Publish answers "no answer".
// Thread-safe.
#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "connectors/connector.h"

namespace herald::testing {

class ScriptedConnector : public connectors::Connector {
 public:
  explicit ScriptedConnector(bool answers = true) : answers_(answers) {}
  connectors::PublishResult Publish(const connectors::PublishRequest&) override {
    return {connectors::PublishResult::Kind::kUnknown, {}, {}, std::nullopt, "no answer"};
  }
  std::optional<connectors::PublishResult> Lookup(const connectors::PublishRequest& request) override {
    std::lock_guard lock(mu_);
    lookups_.push_back(request);
    if (script_.empty()) return std::nullopt;
    auto next = script_.front();
    script_.pop_front();
    return next;
  }
  bool AnswersLookup() const override { return answers_; }

  void Then(std::optional<connectors::PublishResult> answer) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(answer));
  }
  size_t lookups() {
    std::lock_guard lock(mu_);
    return lookups_.size();
  }
  connectors::PublishRequest last() {
    std::lock_guard lock(mu_);
    return lookups_.back();
  }

 private:
  const bool answers_;
  std::mutex mu_;
  std::deque<std::optional<connectors::PublishResult>> script_;
  std::vector<connectors::PublishRequest> lookups_;
};

}  // namespace herald::testing
