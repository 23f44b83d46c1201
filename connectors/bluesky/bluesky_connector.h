// The `bluesky` connector (AT Protocol, platforms.md §2): an app-password
// session (createSession once, then refreshSession when the access token
// expires), images through com.atproto.repo.uploadBlob, and the post through
// com.atproto.repo.createRecord with a record key chosen before sending, so
// that every retry of a post targets the same record and an ambiguous answer
// is settled by asking com.atproto.repo.getRecord for that key.
// Thread-safe: the session is cached under a mutex; Publish may run on several
// threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.h"

namespace herald::connectors {

// The record key of a post: a TID (13 characters, base32-sortable) whose
// timestamp is `created_at` in microseconds plus the post id's last six
// digits, and whose clock id holds the id's next ten bits, so the same post
// always gets the same key and different posts (ids < 10^9) never share one.
std::string BlueskyRecordKey(Instant created_at, int64_t post_id);

// A link in a post's text, in UTF-8 bytes (as app.bsky.richtext.facet wants).
struct LinkFacet {
  size_t byte_start = 0;
  size_t byte_end = 0;
  std::string uri;
};
// The links of a text as the official client finds them (rich_text.h).
std::vector<LinkFacet> FindLinks(const std::string& text);

// The `langs` setting ("en" or "en, pt-BR"): at most three BCP-47 tags,
// InvalidArgument naming the setting otherwise.
Result<std::vector<std::string>> ReadBlueskyLangs(std::string_view setting);

}  // namespace herald::connectors
