// Telegram connector: posts through the Bot API (sendMessage, sendPhoto,
// sendMediaGroup) into the chat named by `chat_id`. The bot token sits in the
// URL path, so every text this connector produces is built without the URL.
// Telegram has no idempotency key and cannot list a bot's sent messages: an
// answer that never came is kUnknown, and Lookup cannot tell.
//
// Thread-safe: the connector holds only immutable settings; HttpClient::Send
// is thread-safe.
#include <nlohmann/json.hpp>

#include <charconv>

#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

using json = nlohmann::json;
using Kind = PublishResult::Kind;

constexpr std::string_view kPlatform = "telegram";
constexpr size_t kCaptionLimit = 1024;  // UTF-16 units, as Telegram counts
constexpr size_t kMediaGroupLimit = 10;

// Telegram measures text in UTF-16 code units: 4-byte UTF-8 sequences count 2.
size_t Utf16Units(std::string_view text) {
  size_t units = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    units += c >= 0xF0 ? 2 : 1;
  }
  return units;
}

// A numeric chat id goes out as a number, "@channelname" as a string.
json ChatIdValue(const std::string& chat_id) {
  int64_t id = 0;
  auto [p, ec] = std::from_chars(chat_id.data(), chat_id.data() + chat_id.size(), id);
  if (ec == std::errc() && p == chat_id.data() + chat_id.size()) return id;
  return chat_id;
}

struct SentMessage {
  std::string remote_id;
  std::string remote_url;
};

// t.me links exist for public chats (username) and for supergroups and
// channels ("-100" ids, /c/ links visible to members); private chats have none.
SentMessage ReadMessage(const json& message) {
  SentMessage out;
  if (!message.is_object() || !message.contains("message_id") || !message["message_id"].is_number_integer()) return out;
  std::string message_id = std::to_string(message["message_id"].get<int64_t>());
  std::string chat_id;
  std::string username;
  if (message.contains("chat") && message["chat"].is_object()) {
    const json& chat = message["chat"];
    if (chat.contains("id") && chat["id"].is_number_integer()) chat_id = std::to_string(chat["id"].get<int64_t>());
    if (chat.contains("username") && chat["username"].is_string()) username = chat["username"].get<std::string>();
  }
  out.remote_id = chat_id.empty() ? message_id : chat_id + "/" + message_id;
  if (!username.empty()) {
    out.remote_url = "https://t.me/" + username + "/" + message_id;
  } else if (chat_id.starts_with("-100")) {
    out.remote_url = "https://t.me/c/" + chat_id.substr(4) + "/" + message_id;
  }
  return out;
}

class TelegramConnector final : public Connector {
 public:
  TelegramConnector(std::string base_url, std::string token, std::string chat_id, HttpClientOptions http)
      : base_url_(std::move(base_url)), token_(std::move(token)), chat_id_(std::move(chat_id)), http_(std::move(http)) {}

  PublishResult Publish(const PublishRequest& request) override {
    bool caption_fits = Utf16Units(request.text) <= kCaptionLimit;
    json body = {{"chat_id", ChatIdValue(chat_id_)}};
    std::string method;
    if (request.media.empty()) {
      method = "sendMessage";
      body["text"] = request.text;
    } else if (request.media.size() == 1) {
      method = "sendPhoto";
      body["photo"] = request.media[0].url;
      if (caption_fits && !request.text.empty()) body["caption"] = request.text;
    } else {
      method = "sendMediaGroup";
      json items = json::array();
      for (size_t i = 0; i < request.media.size() && i < kMediaGroupLimit; ++i) {
        json item = {{"type", "photo"}, {"media", request.media[i].url}};
        // The group's caption is the first item's, as Telegram shows it.
        if (i == 0 && caption_fits && !request.text.empty()) item["caption"] = request.text;
        items.push_back(std::move(item));
      }
      body["media"] = std::move(items);
    }

    auto first = Call(method, body, request.now);
    if (!first.ok) return first.result;
    if (request.media.empty() || caption_fits || request.text.empty()) return first.result;

    // The text did not fit a caption: it follows the photos as its own
    // message. The photos are already out, so a failure here is reported in
    // `why` but the post stays published (never re-sent).
    auto text = Call("sendMessage", {{"chat_id", ChatIdValue(chat_id_)}, {"text", request.text}}, request.now);
    if (!text.ok) {
      first.result.why = "telegram: photos published, but the text message after them was not: " + text.result.why;
      if (text.result.hold) first.result.hold = text.result.hold;
    }
    return first.result;
  }

  std::optional<PublishResult> Lookup(const PublishRequest&) override {
    return std::nullopt;  // the Bot API cannot list the messages a bot sent
  }
  bool AnswersLookup() const override { return false; }

 private:
  struct CallResult {
    bool ok = false;
    PublishResult result;
  };

  CallResult Call(const std::string& method, const json& body, Instant now) const {
    HttpClient client(http_);
    HttpResult answer = client.Send({"POST", base_url_ + "/bot" + token_ + "/" + method, {}, body.dump(), "application/json"});
    if (!answer) answer.error().message = "POST " + method + ": " + Redact(answer.error().message);
    if (auto failure = ReadFailure(kPlatform, answer, now)) return {false, *failure};
    auto reply = json::parse(answer->body, nullptr, false);
    if (!reply.is_object() || !reply.value("ok", false) || !reply.contains("result")) {
      // A 2xx that is not {"ok":true}: Telegram refused it (or something
      // between answered); either way nothing to retry blindly.
      return {false, {Kind::kFailed, {}, {}, std::nullopt, DescribeAnswer(kPlatform, *answer), {}, answer->status}};
    }
    const json& result = reply["result"];
    SentMessage sent = ReadMessage(result.is_array() && !result.empty() ? result[0] : result);
    if (sent.remote_id.empty()) {
      return {true, {Kind::kPublished, {}, {}, std::nullopt, "telegram: " + method + " answered without a message_id", {}, answer->status}};
    }
    return {true, {Kind::kPublished, sent.remote_id, sent.remote_url, std::nullopt, {}, HoldAfterSuccess(kPlatform, *answer, now),
                   answer->status}};
  }

  std::string Redact(std::string text) const {
    for (size_t at = text.find(token_); at != std::string::npos; at = text.find(token_, at)) text.replace(at, token_.size(), "<bot_token>");
    return text;
  }

  const std::string base_url_;
  const std::string token_;
  const std::string chat_id_;
  const HttpClientOptions http_;
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeTelegramConnector(const policies::ConnectorConfig& config,
                                                         const ConnectorContext& context) {
  auto settings = ConnectorSettings::Read("telegram", config, context);
  if (!settings) return std::unexpected(settings.error());
  auto token = settings->Require("bot_token");
  if (!token) return std::unexpected(token.error());
  auto chat_id = settings->Require("chat_id");
  if (!chat_id) return std::unexpected(chat_id.error());
  return std::make_unique<TelegramConnector>(settings->BaseUrl("https://api.telegram.org"), *token, *chat_id, context.http);
}

}  // namespace herald::connectors
