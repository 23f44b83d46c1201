// Slack connector: chat.postMessage into `channel` with a bot or user token,
// then chat.getPermalink for the message URL. Slack answers most failures with
// HTTP 200 {"ok":false,"error":...}, read here on top of the shared reading of
// 429s and transport failures. Slack takes no idempotency key: when a post got
// no answer, conversations.history is searched for the same text since the
// attempt began; found means published, otherwise the outcome stays unknown.
//
// Thread-safe: settings are immutable; HttpClient::Send is thread-safe.
#include <nlohmann/json.hpp>

#include <set>

#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

using json = nlohmann::json;
using Kind = PublishResult::Kind;

constexpr std::string_view kPlatform = "slack";
constexpr size_t kSectionLimit = 3000;  // characters in a section block's text

// Errors that mean the token (or its scopes) is the problem, not the post.
const std::set<std::string> kAuthErrors = {"not_authed",     "invalid_auth",  "account_inactive", "token_revoked",
                                           "token_expired",  "no_permission", "missing_scope",    "not_allowed_token_type",
                                           "ekm_access_denied"};

// Slack reads &, < and > as markup (`<!channel>` pings everyone, `<url|label>`
// disguises a link), so text goes out with them escaped, which is also how
// Slack stores it.
std::string Escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out.push_back(c);
  }
  return out;
}

// Splits escaped text at code point boundaries, never inside an entity, into
// pieces of at most `limit` characters (an entity counts as its length).
std::vector<std::string> Chunks(const std::string& escaped, size_t limit) {
  std::vector<std::string> out;
  size_t start = 0, points = 0;
  for (size_t i = 0; i < escaped.size();) {
    size_t end = i + 1, width = 1;
    if (escaped[i] == '&') {
      end = escaped.find(';', i) + 1;
      width = end - i;
    } else {
      while (end < escaped.size() && (static_cast<unsigned char>(escaped[end]) & 0xC0) == 0x80) ++end;
    }
    if (points + width > limit) {
      out.push_back(escaped.substr(start, i - start));
      start = i;
      points = 0;
    }
    points += width;
    i = end;
  }
  if (start < escaped.size()) out.push_back(escaped.substr(start));
  return out;
}

json MessageBody(const std::string& channel, const PublishRequest& request) {
  // With blocks, `text` is the notification fallback; without, it is the message.
  const std::string text = Escaped(request.text);
  json body = {{"channel", channel}, {"text", text}};
  if (request.media.empty()) return body;
  json blocks = json::array();
  for (const auto& chunk : Chunks(text, kSectionLimit))
    blocks.push_back({{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", chunk}}}});
  for (const auto& m : request.media)
    blocks.push_back({{"type", "image"}, {"image_url", m.url}, {"alt_text", m.alt.empty() ? "image" : m.alt}});
  body["blocks"] = std::move(blocks);
  return body;
}

class SlackConnector final : public Connector {
 public:
  SlackConnector(std::string base_url, std::string token, std::string channel, HttpClientOptions http)
      : base_url_(std::move(base_url)), token_(std::move(token)), channel_(std::move(channel)), http_(std::move(http)) {}

  PublishResult Publish(const PublishRequest& request) override {
    HttpResult answer = Call({"POST", base_url_ + "/chat.postMessage", {}, MessageBody(channel_, request).dump(),
                              "application/json; charset=utf-8"});
    if (!answer && answer.error().kind == HttpFailure::Kind::kNoAnswer) {
      if (auto found = FindInHistory(request.text, request.now - std::chrono::minutes{1}, request.now)) return *found;
    }
    if (auto failure = ReadFailure(kPlatform, answer, request.now)) return *failure;
    auto reply = json::parse(answer->body, nullptr, false);
    if (!reply.is_object() || !reply.value("ok", false)) return ReadError(*answer, reply, request.now);
    std::string channel = reply.value("channel", channel_);
    std::string ts = reply.value("ts", "");
    PublishResult out{Kind::kPublished, channel + "/" + ts, {}, std::nullopt, {}, HoldAfterSuccess(kPlatform, *answer, request.now),
                      answer->status};
    AddPermalink(out, channel, ts, request.now);
    return out;
  }

  std::optional<PublishResult> Lookup(const PublishRequest& request) override {
    // Only a message found is an answer: its absence from one page of
    // history does not prove it was never posted.
    return FindInHistory(request.text, request.planned_at - std::chrono::minutes{1}, request.now);
  }

 private:
  HttpResult Call(HttpRequest request) const {
    request.headers.emplace_back("Authorization", "Bearer " + token_);
    return HttpClient(http_).Send(request);
  }

  PublishResult ReadError(const HttpResponse& answer, const json& reply, Instant now) const {
    std::string error = reply.is_object() ? reply.value("error", "") : "";
    if (error == "ratelimited") {
      HttpResponse limited = answer;
      limited.status = 429;
      return *ReadFailure(kPlatform, limited, now);
    }
    if (error.empty()) return {Kind::kFailed, {}, {}, std::nullopt, DescribeAnswer(kPlatform, answer), {}, answer.status};
    std::string why = "slack: " + error;
    if (reply.contains("response_metadata") && reply["response_metadata"].contains("messages") &&
        reply["response_metadata"]["messages"].is_array() && !reply["response_metadata"]["messages"].empty() &&
        reply["response_metadata"]["messages"][0].is_string())
      why += " (" + reply["response_metadata"]["messages"][0].get<std::string>() + ")";
    // Slack documents that part of the operation may have succeeded before
    // these errors: never re-send.
    if (error == "internal_error" || error == "fatal_error")
      return {Kind::kUnknown, {}, {}, std::nullopt, why + "; the message may have been posted", {}, answer.status};
    if (error == "service_unavailable" || error == "request_timeout")
      return {Kind::kRetryLater, {}, {}, std::nullopt, why, {}, answer.status};
    if (kAuthErrors.contains(error)) why += " (check the account's token and its chat:write scope)";
    return {Kind::kFailed, {}, {}, std::nullopt, why, {}, answer.status};
  }

  // The post is out whatever happens here: a failure only leaves the URL
  // empty (and a rate limit still holds the account).
  void AddPermalink(PublishResult& out, const std::string& channel, const std::string& ts, Instant now) const {
    HttpResult answer = Call({"GET",
                              base_url_ + "/chat.getPermalink?" + FormEncode({{"channel", channel}, {"message_ts", ts}}),
                              {}, {}, {}});
    if (auto failure = ReadFailure(kPlatform, answer, now)) {
      if (failure->hold) out.hold = failure->hold;
      return;
    }
    auto reply = json::parse(answer->body, nullptr, false);
    if (reply.is_object() && reply.value("ok", false)) out.remote_url = reply.value("permalink", "");
  }

  // A message with this text in the channel since `oldest`, or nullopt.
  std::optional<PublishResult> FindInHistory(const std::string& text, Instant oldest, Instant now) const {
    std::string query = FormEncode({{"channel", channel_},
                                    {"oldest", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                                  oldest.time_since_epoch()).count())},
                                    {"limit", "200"}});
    HttpResult answer = Call({"GET", base_url_ + "/conversations.history?" + query, {}, {}, {}});
    if (!answer || answer->status != 200) return std::nullopt;
    auto reply = json::parse(answer->body, nullptr, false);
    if (!reply.is_object() || !reply.value("ok", false) || !reply.contains("messages") || !reply["messages"].is_array())
      return std::nullopt;
    std::string escaped = Escaped(text);
    for (const auto& m : reply["messages"]) {
      if (!m.is_object() || !m.contains("text") || !m["text"].is_string()) continue;
      const std::string& stored = m["text"].get_ref<const std::string&>();
      if (stored != text && stored != escaped) continue;
      std::string ts = m.value("ts", "");
      PublishResult out{Kind::kPublished, channel_ + "/" + ts, {}, std::nullopt,
                        "slack: no answer to the post, found it in the channel's history", {}, 200};
      AddPermalink(out, channel_, ts, now);
      return out;
    }
    return std::nullopt;
  }

  const std::string base_url_;
  const std::string token_;
  const std::string channel_;
  const HttpClientOptions http_;
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeSlackConnector(const policies::ConnectorConfig& config, const ConnectorContext& context) {
  auto settings = ConnectorSettings::Read("slack", config, context);
  if (!settings) return std::unexpected(settings.error());
  auto token = settings->Require("token");
  if (!token) return std::unexpected(token.error());
  auto channel = settings->Require("channel");
  if (!channel) return std::unexpected(channel.error());
  return std::make_unique<SlackConnector>(settings->BaseUrl("https://slack.com/api"), *token, *channel, context.http);
}

}  // namespace herald::connectors
