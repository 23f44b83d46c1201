// How the runtime finds a post's connector, and the request it hands it: the
// same for a publish, a lookup after a crash and a re-check.
#pragma once

#include <functional>
#include <string>

#include "connectors/connector.h"
#include "core/post.h"

namespace herald::runtime {

// The connector for a post's account (nullptr when it has none) and the
// account's platform.
struct ConnectorFor {
  connectors::Connector* connector = nullptr;
  std::string platform;
};
using ConnectorLookup = std::function<ConnectorFor(const Post&)>;

// The request for `post` on `platform`, started at `now`; `attempt` counts the
// publishes of this post in this process (1 for the first).
// A reply carries its item's reply_ref, threading it under the item.
inline connectors::PublishRequest RequestFor(const Post& post, const std::string& platform, Instant now, int attempt) {
  connectors::PublishRequest r{post.id, post.organization, post.account, platform, post.text, post.labels, post.media,
                               post.planned_at.value_or(now), now, post.organization + "-" + std::to_string(post.id),
                               post.created_at, attempt};
  if (post.answers_item) r.reply_to = post.reply_to;
  return r;
}

}  // namespace herald::runtime
