#include "connectors/event_delivery.h"

#include "connectors/media_fetch.h"
#include "connectors/webhook/webhook_connector.h"

namespace herald::connectors {

EventAnswer SendEvent(const HttpClient& http, const MediaAllowList& allow, const EventMessage& m) {
  using Kind = EventAnswer::Kind;
  auto target = GuardTarget(m.url, allow);
  if (!target) {
    Kind kind = target.error().code() == Code::kUnavailable ? Kind::kRetry : Kind::kRefused;
    return {kind, std::nullopt, target.error().message()};
  }
  HttpRequest request{"POST",
                      target->url,
                      {{"webhook-id", m.id},
                       {"webhook-timestamp", std::to_string(m.timestamp)},
                       {"webhook-signature", SignWebhook(m.key, m.id, m.timestamp, m.body)}},
                      m.body,
                      "application/json"};
  request.connect_to = target->connect_to;
  request.max_body = kMaxEventAnswer;
  HttpResult result = http.Send(request);
  if (!result) {
    if (result.error().kind == HttpFailure::Kind::kTooLarge) {
      return {Kind::kRetry, std::nullopt, "the receiver's answer is larger than " + std::to_string(kMaxEventAnswer) + " bytes"};
    }
    return {Kind::kRetry, std::nullopt, result.error().message};
  }
  const int status = result->status;
  if (status >= 200 && status < 300) return {Kind::kDelivered, status, {}};
  if (status == 410) return {Kind::kGone, status, "410 Gone: the receiver wants no more deliveries of this event"};
  std::string why = "HTTP " + std::to_string(status);
  if (status >= 300 && status < 400) why += " (redirects are not followed: give the final URL)";
  return {Kind::kRetry, status, why};
}

}  // namespace herald::connectors
