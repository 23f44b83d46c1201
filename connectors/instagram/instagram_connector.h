// The Instagram connector (Instagram Graph API content publishing): a post is
// an image container (caption, alt text) or a carousel of up to 10 image
// containers created on POST /<version>/<user_id>/media, then published with
// media_publish, after a check of content_publishing_limit
// (docs/connectors/instagram.md). Posts without an image are refused.
//
// Thread-safe: the connector is immutable after creation.
#pragma once

#include <memory>

#include "connectors/connector.h"
#include "connectors/meta/graph.h"

namespace herald::connectors {

// MakeInstagramConnector with the container status polling spelled out
// (tests poll in milliseconds).
Result<std::unique_ptr<Connector>> MakeInstagramConnectorWithTiming(const policies::ConnectorConfig& config,
                                                                    const ConnectorContext& context,
                                                                    meta::ContainerTiming timing);

}  // namespace herald::connectors
