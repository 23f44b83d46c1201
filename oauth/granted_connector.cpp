#include "oauth/granted_connector.h"

namespace herald::oauth {

connectors::PublishResult GrantedConnector::Publish(const connectors::PublishRequest& request) {
  auto token = keeper_.AccessToken(request.organization, request.account, request.now);
  if (!token) {
    connectors::PublishResult r;
    r.kind = connectors::PublishResult::Kind::kRetryLater;
    r.attempted = false;  // nothing reached the platform
    r.why = token.error().message();
    const bool reconnect = token.error().code() == Code::kFailedPrecondition;
    r.retry_at = request.now + std::chrono::duration_cast<std::chrono::seconds>(reconnect ? kReconnectRetryAfter
                                                                                           : kRetryAfter);
    std::string rule = reconnect ? "needs_reconnect" : "token_unavailable";
    r.hold = connectors::RateLimitHold{*r.retry_at, r.why, rule};
    return r;
  }
  connectors::PublishRequest with = request;
  if (*token) with.access_token = std::move(**token);
  connectors::PublishResult published = inner_->Publish(with);
  if (!*token || published.kind != connectors::PublishResult::Kind::kFailed ||
      (published.http_status != 401 && !published.token_refused)) {
    return published;
  }
  // The platform no longer takes the connected token: nothing was posted, and
  // nothing will be until a manager connects the account again.
  std::string why = published.why;
  if (auto marked = keeper_.Refused(request.organization, request.account, *with.access_token, why, request.now);
      !marked) {
    why += "; marking the account failed: " + marked.error().message();
  }
  auto reconnect = keeper_.AccessToken(request.organization, request.account, request.now);
  published.kind = connectors::PublishResult::Kind::kRetryLater;
  published.why = reconnect ? why : reconnect.error().message();
  published.retry_at = request.now + std::chrono::duration_cast<std::chrono::seconds>(kReconnectRetryAfter);
  published.hold = connectors::RateLimitHold{*published.retry_at, published.why, "needs_reconnect"};
  return published;
}

std::optional<connectors::PublishResult> GrantedConnector::Lookup(const connectors::PublishRequest& request) {
  auto token = keeper_.AccessToken(request.organization, request.account, request.now);
  if (!token) return std::nullopt;  // the platform cannot be asked now: the post stays unconfirmed
  connectors::PublishRequest with = request;
  if (*token) with.access_token = std::move(**token);
  return inner_->Lookup(with);
}

connectors::EngagementResult GrantedConnector::ReadEngagement(const connectors::EngagementRequest& request) {
  auto token = keeper_.AccessToken(request.organization, request.account, request.now);
  if (!token) {
    // Not connected now: try again later, as the publish would.
    connectors::EngagementResult r;
    r.kind = connectors::EngagementResult::Kind::kRetryLater;
    r.why = token.error().message();
    r.retry_at = request.now + std::chrono::duration_cast<std::chrono::seconds>(kRetryAfter);
    return r;
  }
  connectors::EngagementRequest with = request;
  if (*token) with.access_token = std::move(**token);
  return inner_->ReadEngagement(with);
}

connectors::InboxReadResult GrantedConnector::ReadInbox(const connectors::InboxReadRequest& request) {
  auto token = keeper_.AccessToken(request.organization, request.account, request.now);
  if (!token) {
    connectors::InboxReadResult r;
    r.kind = connectors::InboxReadResult::Kind::kRetryLater;
    r.why = token.error().message();
    r.retry_at = request.now + std::chrono::duration_cast<std::chrono::seconds>(kRetryAfter);
    return r;
  }
  connectors::InboxReadRequest with = request;
  if (*token) with.access_token = std::move(**token);
  return inner_->ReadInbox(with);
}

}  // namespace herald::oauth
