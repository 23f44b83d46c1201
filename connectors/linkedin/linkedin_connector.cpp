// Placeholder until the linkedin connector lands (issue #6).
#include "connectors/platforms.h"

namespace herald::connectors {

Result<std::unique_ptr<Connector>> MakeLinkedinConnector(const policies::ConnectorConfig&, const ConnectorContext&) {
  return Error(Code::kFailedPrecondition, "connector \"linkedin\" is not available in this build yet");
}

}  // namespace herald::connectors
