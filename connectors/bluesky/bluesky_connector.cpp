// Placeholder until the bluesky connector lands (issue #6).
#include "connectors/platforms.h"

namespace herald::connectors {

Result<std::unique_ptr<Connector>> MakeBlueskyConnector(const policies::ConnectorConfig&, const ConnectorContext&) {
  return Error(Code::kFailedPrecondition, "connector \"bluesky\" is not available in this build yet");
}

}  // namespace herald::connectors
