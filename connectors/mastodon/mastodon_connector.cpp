// Placeholder until the mastodon connector lands (issue #6).
#include "connectors/platforms.h"

namespace herald::connectors {

Result<std::unique_ptr<Connector>> MakeMastodonConnector(const policies::ConnectorConfig&, const ConnectorContext&) {
  return Error(Code::kFailedPrecondition, "connector \"mastodon\" is not available in this build yet");
}

}  // namespace herald::connectors
