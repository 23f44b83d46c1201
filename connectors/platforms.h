// The factory of every connector herald ships, one per platform folder
// (connectors/<name>/). ConnectorRegistry::Builtin registers them by name.
#pragma once

#include <memory>

#include "connectors/connector.h"

namespace herald::connectors {

using ConnectorMaker = Result<std::unique_ptr<Connector>>(const policies::ConnectorConfig&, const ConnectorContext&);

ConnectorMaker MakeWebhookConnector;
ConnectorMaker MakeMastodonConnector;
ConnectorMaker MakeBlueskyConnector;
ConnectorMaker MakeXConnector;
ConnectorMaker MakeLinkedinConnector;
ConnectorMaker MakeFacebookPageConnector;
ConnectorMaker MakeThreadsConnector;
ConnectorMaker MakeInstagramConnector;
ConnectorMaker MakeTelegramConnector;
ConnectorMaker MakeDiscordConnector;
ConnectorMaker MakeSlackConnector;

}  // namespace herald::connectors
