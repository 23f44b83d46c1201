// Sends one event to one subscriber (docs/events.md): a JSON POST signed as
// Standard Webhooks (the webhook connector's SignWebhook), to an address
// checked as media fetches check theirs (GuardTarget: public or operator
// allow-listed, the checked address is the one connected to, no redirects),
// with the client's timeouts and a bounded read of the answer.
// Thread-safe: a pure function over a thread-safe HttpClient.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "connectors/http_client.h"
#include "core/media_source.h"

namespace herald::connectors {

struct EventMessage {
  std::string url;
  std::string key;  // the signing key: the raw bytes of the whsec_ secret
  std::string id;   // webhook-id: the event's id, the same on every attempt
  int64_t timestamp = 0;  // webhook-timestamp, unix seconds of this attempt
  std::string body;       // the exact bytes signed and sent
};

struct EventAnswer {
  enum class Kind {
    kDelivered,  // 2xx
    kGone,       // 410: the receiver wants no more of it; not tried again
    kRefused,    // the URL is refused (internal address, bad URL): not tried again
    kRetry,      // anything else: tried again later
  };
  Kind kind = Kind::kRetry;
  std::optional<int> status;  // the receiver's HTTP status, when it answered
  std::string why;            // empty when delivered
};

// The largest answer read from a receiver; a longer one is cut (and is still
// the receiver's answer, by its status).
inline constexpr size_t kMaxEventAnswer = 64 * 1024;

EventAnswer SendEvent(const HttpClient& http, const MediaAllowList& allow, const EventMessage& message);

}  // namespace herald::connectors
