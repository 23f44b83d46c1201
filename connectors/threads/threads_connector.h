// The Threads connector: a post is a container (text, an image, or a carousel
// of up to 20 images, each with alt text) created on
// POST /v1.0/<user_id>/threads, then published with threads_publish, after a
// check of threads_publishing_limit (docs/connectors/threads.md).
//
// Thread-safe: the connector is immutable after creation.
#pragma once

#include <memory>

#include "connectors/connector.h"
#include "connectors/meta/graph.h"

namespace herald::connectors {

// MakeThreadsConnector with the container status polling spelled out (tests
// poll in milliseconds).
Result<std::unique_ptr<Connector>> MakeThreadsConnectorWithTiming(const policies::ConnectorConfig& config,
                                                                  const ConnectorContext& context,
                                                                  meta::ContainerTiming timing);

}  // namespace herald::connectors
