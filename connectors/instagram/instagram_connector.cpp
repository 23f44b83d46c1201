// Placeholder until the instagram connector lands (issue #6).
#include "connectors/platforms.h"

namespace herald::connectors {

Result<std::unique_ptr<Connector>> MakeInstagramConnector(const policies::ConnectorConfig&, const ConnectorContext&) {
  return Error(Code::kFailedPrecondition, "connector \"instagram\" is not available in this build yet");
}

}  // namespace herald::connectors
