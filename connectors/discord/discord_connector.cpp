// Placeholder until the discord connector lands (issue #6).
#include "connectors/platforms.h"

namespace herald::connectors {

Result<std::unique_ptr<Connector>> MakeDiscordConnector(const policies::ConnectorConfig&, const ConnectorContext&) {
  return Error(Code::kFailedPrecondition, "connector \"discord\" is not available in this build yet");
}

}  // namespace herald::connectors
