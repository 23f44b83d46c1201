// DiscordFake: Execute Webhook (POST /api/webhooks/<id>/<token>[?wait=true]),
// Get Webhook with Token, and Create Message (POST /api/v10/channels/<id>/
// messages with "Authorization: Bot <token>"), each taking a JSON body or
// Discord's file uploads (multipart/form-data: `payload_json` and `files[n]`
// parts with a filename, described by `attachments: [{id: n, filename,
// description}]`), answering as Discord does: message objects with their
// attachments, `mention_everyone` as allowed_mentions leaves it,
// {"message","code"} errors (401 wrong token, 404 unknown or deleted webhook /
// channel, 400 Invalid Form Body with nested `_errors`: content over 2000,
// more than 10 embeds or files, a description over 1024, an attachment
// without its file or a file without a filename), X-RateLimit-* headers on
// every success, and enforce_nonce honoured (the same nonce within five
// minutes returns the first message, creating none). Images to download are
// served under /images/.
//
// Thread-safe: handlers run on the server's threads; the accessors may be
// called from the test thread at any time.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/fake_server.h"

namespace herald::testing {

class DiscordFake {
 public:
  struct Attachment {
    std::string id;
    std::string filename;
    std::string description;  // the alt text; empty when none was given
    std::string content_type;
    std::string bytes;
  };
  struct FormPart {
    std::string filename;
    std::string content_type;
    std::string content;
  };
  using Form = std::map<std::string, FormPart>;  // multipart parts by name
  struct Message {
    std::string id;
    std::string content;
    std::string nonce;
    std::vector<std::pair<std::string, std::string>> images;  // embed image URL, description
    std::vector<Attachment> attachments;                      // in attachments order
    std::string allowed_mentions;  // as sent (JSON), empty when absent
    bool mention_everyone = false; // whether @everyone/@here in content pinged
  };

  static constexpr const char* kGuildId = "613425648685547541";
  static constexpr const char* kChannelId = "697138785317814292";
  static constexpr const char* kWebhookId = "223704706495545344";

  DiscordFake(std::string webhook_token, std::string bot_token);

  FakeServer& server() { return server_; }
  std::string webhook_url() const;          // what a user copies from Discord, on the fake
  std::string bot_base_url() const;         // base_url for bot mode
  std::vector<Message> Messages() const;
  // Every multipart/form-data body received (created a message or not), in order.
  std::vector<Form> Forms() const;
  // An image the fake serves: a PNG whose bytes hold its name; missing.png is 404.
  std::string image_url(const std::string& name) const { return server_.base_url() + "/images/" + name; }
  static std::string ImageBytes(const std::string& name);
  void DeleteWebhook();
  // The bucket reported with each success (X-RateLimit-Remaining, -Reset
  // epoch seconds, -Reset-After seconds).
  void SetBucket(int remaining, std::string reset_epoch, std::string reset_after);

 private:
  void Create(const httplib::Request& req, bool bot, bool wait, httplib::Response& res);

  FakeServer server_;
  const std::string webhook_token_;
  const std::string bot_token_;
  mutable std::mutex mu_;
  std::vector<Message> messages_;  // guarded by mu_
  std::vector<Form> forms_;        // guarded by mu_
  std::map<std::string, std::pair<size_t, std::chrono::steady_clock::time_point>> nonces_;  // guarded by mu_
  bool webhook_deleted_ = false;   // guarded by mu_
  int remaining_ = 4;              // guarded by mu_
  std::string reset_ = "1795000000.5";  // guarded by mu_
  std::string reset_after_ = "1.0";     // guarded by mu_
  uint64_t next_id_ = 1180000000000000000ULL;  // guarded by mu_
};

}  // namespace herald::testing
