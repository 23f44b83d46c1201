// Reading a Mastodon account's inbox: GET /api/v1/notifications?types[]=mention
// (replies arrive as mentions; status.in_reply_to_id names the status they
// answer), one page of at most kMastodonInboxPage notifications immediately
// newer than the cursor (min_id), oldest first. The cursor is the newest
// notification id read ("0" after a first read that found nothing). The
// first read takes the newest page only: older history is not read. Internal to connectors/mastodon/; pure apart from
// the HttpClient it is handed.
#pragma once

#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "connectors/http_client.h"

namespace herald::connectors::mastodon {

inline constexpr int kMastodonInboxPage = 40;  // the documented default; at most 80

InboxReadResult ReadMastodonInbox(const HttpClient& http, const std::string& base_url, const std::string& token,
                                  const InboxReadRequest& request);

// The text of a status's HTML content: tags dropped, <br> and paragraph
// breaks as newlines, character references decoded.
std::string StatusText(std::string_view html);

}  // namespace herald::connectors::mastodon
