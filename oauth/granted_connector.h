// GrantedConnector: a connector whose account may be connected by OAuth. Each
// publish and lookup first asks the GrantKeeper for the account's access
// token (refreshing it when due) and hands it to the connector in the
// request; an account without a grant publishes with its static token as
// before. An account that needs reconnecting sends nothing: the publish comes
// back "retry later" with a needs_reconnect hold, so the runtime pauses the
// account and its due posts wait with that reason instead of failing. A
// publish the platform refuses with HTTP 401 or Graph's code 190 (the token
// was revoked; Mastodon and Page tokens never expire, so this is how a
// revocation shows) marks the account
// "needs reconnect" the same way.
//
// Thread-safe as the wrapped connector and the keeper are.
#pragma once

#include <memory>

#include "connectors/connector.h"
#include "oauth/grant_keeper.h"

namespace herald::oauth {

class GrantedConnector final : public connectors::Connector {
 public:
  // How long an account whose token cannot be had now (its refresh failed
  // for a passing reason) is paused before it is tried again.
  static constexpr Duration kRetryAfter = std::chrono::seconds{30};
  // How long an account that needs reconnecting is paused before it is tried
  // again. Only a connect ends that, and the daemon receiving the connect
  // ends the pause at once; each try writes every waiting post again, so
  // waiting to try costs nothing and saves the writes.
  static constexpr Duration kReconnectRetryAfter = std::chrono::minutes{5};

  // REQUIRES: `keeper` outlives this.
  GrantedConnector(std::shared_ptr<connectors::Connector> inner, GrantKeeper& keeper)
      : inner_(std::move(inner)), keeper_(keeper) {}

  connectors::PublishResult Publish(const connectors::PublishRequest& request) override;
  std::optional<connectors::PublishResult> Lookup(const connectors::PublishRequest& request) override;
  bool AnswersLookup() const override { return inner_->AnswersLookup(); }
  // Reads with the connected account's token, as publishing does.
  connectors::EngagementResult ReadEngagement(const connectors::EngagementRequest& request) override;
  bool ReadsEngagement() const override { return inner_->ReadsEngagement(); }
  connectors::InboxReadResult ReadInbox(const connectors::InboxReadRequest& request) override;
  bool ReadsInbox() const override { return inner_->ReadsInbox(); }

 private:
  std::shared_ptr<connectors::Connector> inner_;
  GrantKeeper& keeper_;
};

}  // namespace herald::oauth
