// TelegramFake: the Bot API methods herald's telegram connector calls
// (sendMessage, sendPhoto, sendMediaGroup under /bot<token>/), answering as
// Telegram does: {"ok":true,"result":Message} or {"ok":false,"error_code",
// "description"} with the same HTTP status, 401 for a wrong token, 400 for an
// unknown chat, empty or too long text (4096 UTF-16 units, captions 1024).
// Keeps every message it created.
//
// Thread-safe: handlers run on the server's threads; Messages() may be called
// from the test thread at any time.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "tests/support/fake_server.h"

namespace herald::testing {

class TelegramFake {
 public:
  struct Message {
    int64_t message_id = 0;
    std::string method;               // sendMessage, sendPhoto, sendMediaGroup
    std::string text;                 // text or caption
    std::vector<std::string> photos;  // photo URLs
  };

  // A chat the bot may post to: `chat_id` as the bot sends it, the numeric id
  // Telegram answers with, and the public username (empty for a private chat).
  TelegramFake(std::string token, std::string chat_id, int64_t numeric_chat_id, std::string username);

  FakeServer& server() { return server_; }
  std::string base_url() const { return server_.base_url(); }
  std::vector<Message> Messages() const;

 private:
  FakeServer server_;
  const std::string token_;
  const std::string chat_id_;
  const int64_t numeric_chat_id_;
  const std::string username_;
  mutable std::mutex mu_;
  std::vector<Message> messages_;  // guarded by mu_
  int64_t next_id_ = 100;          // guarded by mu_
};

}  // namespace herald::testing
