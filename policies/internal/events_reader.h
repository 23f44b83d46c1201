// Reads a policy's `events:` section (docs/policy.md, docs/events.md): a list
// of subscriptions, each a url, a secret by reference and the event types it
// wants. Internal to policies/.
#pragma once

#include <vector>

#include "policies/internal/yaml_reader.h"
#include "policies/policy.h"

namespace herald::policies::internal {

// Reports every problem at its position: an unknown key or type, a URL that
// is not http(s) or names a literal internal address, an inline secret, the
// same URL twice.
std::vector<EventSubscription> ReadEvents(const Located& at, Diagnostics& diag);

}  // namespace herald::policies::internal
