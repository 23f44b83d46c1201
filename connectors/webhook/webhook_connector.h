// The `webhook` connector: delivers a published post to one Standard Webhooks
// endpoint (platforms.md §11, spec v1.0.0): a signed JSON POST whose
// `webhook-id` is the post's idempotency key, so a receiver that dedupes on it
// (as the spec tells receivers to) sees each post once however often herald
// re-sends it. Thread-safe: immutable after creation; Publish may run on
// several threads at once.
#pragma once

#include <string>
#include <string_view>

#include "connectors/connector.h"

namespace herald::connectors {

// The symmetric (`v1`) signing key of a `whsec_<base64>` secret: the decoded
// bytes. InvalidArgument when the prefix is missing or the rest is not
// standard base64 (or decodes to nothing).
Result<std::string> WebhookKeyFromSecret(std::string_view secret);

// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` with `key` (raw bytes).
std::string SignWebhook(std::string_view key, std::string_view id, int64_t timestamp, std::string_view body);

}  // namespace herald::connectors
