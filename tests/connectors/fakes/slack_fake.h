// SlackFake: the Web API methods herald's slack connector calls under /api/:
// chat.postMessage (JSON, Bearer token), chat.getPermalink and
// conversations.history, answering as Slack does: HTTP 200 with {"ok":true,...}
// or {"ok":false,"error":"invalid_auth"|"not_authed"|"channel_not_found"|
// "no_text"|"msg_too_long"|"invalid_blocks"}. Message ts values start at the
// `epoch` given, so history filtering by `oldest` works against test clocks.
// Keeps every message it created (text stored escaped, as Slack does).
//
// Thread-safe: handlers run on the server's threads; Messages() may be called
// from the test thread at any time.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/fake_server.h"

namespace herald::testing {

class SlackFake {
 public:
  struct Message {
    std::string ts;
    std::string text;  // as stored: &, <, > escaped
    std::vector<std::pair<std::string, std::string>> images;  // image_url, alt_text
    std::vector<std::string> sections;                        // section block texts
  };

  SlackFake(std::string token, std::string channel_id, int64_t epoch);

  FakeServer& server() { return server_; }
  std::string base_url() const { return server_.base_url() + "/api"; }
  std::vector<Message> Messages() const;

 private:
  void PostMessage(const httplib::Request& req, httplib::Response& res);
  bool Authorized(const httplib::Request& req, httplib::Response& res) const;

  FakeServer server_;
  const std::string token_;
  const std::string channel_;
  const int64_t epoch_;
  mutable std::mutex mu_;
  std::vector<Message> messages_;  // guarded by mu_
  int64_t sequence_ = 100;         // guarded by mu_
};

}  // namespace herald::testing
