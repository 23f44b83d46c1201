// Placeholder until the telegram connector lands (issue #6).
#include "connectors/platforms.h"

namespace herald::connectors {

Result<std::unique_ptr<Connector>> MakeTelegramConnector(const policies::ConnectorConfig&, const ConnectorContext&) {
  return Error(Code::kFailedPrecondition, "connector \"telegram\" is not available in this build yet");
}

}  // namespace herald::connectors
