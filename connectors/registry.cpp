#include "connectors/connector.h"
#include "connectors/file/file_connector.h"
#include "connectors/platforms.h"

namespace herald::connectors {

void ConnectorRegistry::Register(std::string name, ConnectorFactory factory) {
  factories_[std::move(name)] = std::move(factory);
}

bool ConnectorRegistry::Has(const std::string& name) const { return factories_.contains(name); }

Result<std::unique_ptr<Connector>> ConnectorRegistry::Create(const policies::ConnectorConfig& config,
                                                             const ConnectorContext& context) const {
  auto it = factories_.find(config.type);
  if (it == factories_.end()) {
    return Error(Code::kFailedPrecondition,
                 "connector \"" + config.type + "\" is not available in this build; use type: file to publish to the outbox");
  }
  return it->second(config, context);
}

ConnectorRegistry ConnectorRegistry::Builtin() {
  ConnectorRegistry r;
  r.Register("file", [](const policies::ConnectorConfig&, const ConnectorContext& ctx) -> Result<std::unique_ptr<Connector>> {
    return std::unique_ptr<Connector>(std::make_unique<FileConnector>(ctx.outbox_dir));
  });
  r.Register("webhook", MakeWebhookConnector);
  r.Register("mastodon", MakeMastodonConnector);
  r.Register("bluesky", MakeBlueskyConnector);
  r.Register("x", MakeXConnector);
  r.Register("linkedin", MakeLinkedinConnector);
  r.Register("facebook_page", MakeFacebookPageConnector);
  r.Register("threads", MakeThreadsConnector);
  r.Register("instagram", MakeInstagramConnector);
  r.Register("telegram", MakeTelegramConnector);
  r.Register("discord", MakeDiscordConnector);
  r.Register("slack", MakeSlackConnector);
  return r;
}

}  // namespace herald::connectors
