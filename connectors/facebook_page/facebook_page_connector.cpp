// Placeholder until the facebook_page connector lands (issue #6).
#include "connectors/platforms.h"

namespace herald::connectors {

Result<std::unique_ptr<Connector>> MakeFacebookPageConnector(const policies::ConnectorConfig&, const ConnectorContext&) {
  return Error(Code::kFailedPrecondition, "connector \"facebook_page\" is not available in this build yet");
}

}  // namespace herald::connectors
