// What every connector test needs to build its connector: a ConnectorContext
// whose secrets are read from a table (by reference target, as if from the
// environment; anything else is "not set", as the daemon says), with short
// timeouts so that no-answer cases stay quick. The fakes serve images from
// 127.0.0.1, which herald refuses unless the operator allow-lists it, as here.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "connectors/connector.h"

namespace herald::testing {

inline connectors::ConnectorContext TestContext(std::map<std::string, std::string> secrets,
                                    std::chrono::milliseconds read_timeout) {
  connectors::ConnectorContext c;
  c.resolve_secret = [secrets = std::move(secrets)](const policies::SecretRef& ref) -> Result<std::string> {
    auto it = secrets.find(ref.target);
    if (it == secrets.end()) return Error(Code::kFailedPrecondition, "environment variable " + ref.target + " is not set");
    return it->second;
  };
  c.http.connect_timeout = std::chrono::milliseconds{500};
  c.http.read_timeout = read_timeout;
  c.http.media_allow.networks.push_back(*ParseIpNetwork("127.0.0.1"));
  return c;
}

// A post answering an inbox item: `reply_to` is the item's reply_ref.
inline connectors::PublishRequest InboxAnswer(std::string platform, std::string text, std::string reply_to, Instant now,
                                              int64_t post_id = 90) {
  connectors::PublishRequest r;
  r.post_id = post_id;
  r.organization = "acme";
  r.account = platform;
  r.platform = std::move(platform);
  r.text = std::move(text);
  r.now = now;
  r.created_at = now;
  r.idempotency_key = "acme-" + std::to_string(post_id);
  r.reply_to = std::move(reply_to);
  return r;
}

}  // namespace herald::testing
