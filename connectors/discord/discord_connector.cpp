// Discord connector, in one of two modes chosen by the settings:
//  - webhook_url: executes the webhook with ?wait=true so Discord answers with
//    the created message. Webhooks take no nonce, so an answer that never came
//    is kUnknown.
//  - bot_token + channel_id: Create Message with a nonce derived from the
//    post's idempotency key and enforce_nonce, so Discord returns the message
//    already created for a repeated nonce (within a few minutes) instead of
//    creating a second: a request left without an answer is re-sent once at
//    once, and the answer to that decides.
// Images are downloaded and uploaded with the message as attachments
// (multipart/form-data: payload_json + files[n]), each with its alt text as
// the attachment's `description`, Discord's alt text. Every message carries
// allowed_mentions {"parse": []}: an announcement that says @everyone, @here or
// names a role or user never pings anyone.
//
// Thread-safe: settings are immutable; the guild id learnt from the webhook
// object is cached under mu_.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <mutex>

#include "connectors/media_fetch.h"
#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

using json = nlohmann::json;
using Kind = PublishResult::Kind;

constexpr std::string_view kPlatform = "discord";
constexpr size_t kMaxAttachments = 10;  // files per message

// Discord nonces are at most 25 characters; idempotency keys can be longer.
// FNV-1a keeps the nonce stable across retries and processes.
std::string NonceFor(const std::string& idempotency_key) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : idempotency_key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::string("herald-") + hex;
}

// "Invalid Form Body" says little; the first nested `_errors` entry says which
// field and why: {"errors":{"content":{"_errors":[{"message":"Must be 2000..."}]}}}.
std::optional<std::string> FirstFieldError(const json& node, const std::string& path) {
  if (!node.is_object()) return std::nullopt;
  if (node.contains("_errors") && node["_errors"].is_array() && !node["_errors"].empty() &&
      node["_errors"][0].is_object() && node["_errors"][0].contains("message") && node["_errors"][0]["message"].is_string()) {
    return (path.empty() ? "" : path + ": ") + node["_errors"][0]["message"].get<std::string>();
  }
  for (const auto& [key, child] : node.items())
    if (auto found = FirstFieldError(child, path.empty() ? key : path + "." + key)) return found;
  return std::nullopt;
}

// The message's JSON: its text, and nobody pinged whatever the text says.
json MessagePayload(const PublishRequest& request) {
  return {{"content", request.text}, {"allowed_mentions", {{"parse", json::array()}}}};
}

// `payload` as the request's body: JSON alone, or with images the multipart
// form of Discord's file uploads, image i as files[i] described by
// attachments[i] (its alt text as `description`).
HttpRequest MessageRequest(std::string url, HttpHeaders headers, json payload, const std::vector<FetchedImage>& images,
                           const std::vector<Media>& media) {
  if (images.empty()) return {"POST", std::move(url), std::move(headers), payload.dump(), "application/json"};
  json attachments = json::array();
  std::vector<std::string> names;
  for (size_t i = 0; i < images.size(); ++i) {
    // Two images of the same name (image.png from two hosts) stay two files.
    std::string name = images[i].filename;
    if (std::find(names.begin(), names.end(), name) != names.end()) name = std::to_string(i) + "-" + name;
    names.push_back(name);
    json attachment = {{"id", i}, {"filename", name}};
    if (!media[i].alt.empty()) attachment["description"] = media[i].alt;
    attachments.push_back(std::move(attachment));
  }
  payload["attachments"] = std::move(attachments);
  MultipartForm form;
  form.AddField("payload_json", payload.dump(), "application/json");
  for (size_t i = 0; i < images.size(); ++i)
    form.AddFile("files[" + std::to_string(i) + "]", names[i], images[i].content_type, images[i].bytes);
  std::string content_type = form.ContentType();
  return {"POST", std::move(url), std::move(headers), std::move(form).Close(), std::move(content_type)};
}

std::string StringField(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

class DiscordConnector final : public Connector {
 public:
  struct Target {
    std::string webhook_url;  // webhook mode: where to execute, without ?wait
    std::string bot_token;    // bot mode
    std::string messages_url; // bot mode: <base>/channels/<id>/messages
    std::string guild_id;     // for URLs; empty: learnt or "@me"
  };

  DiscordConnector(Target target, HttpClientOptions http) : target_(std::move(target)), http_(std::move(http)) {}

  PublishResult Publish(const PublishRequest& request) override {
    return target_.bot_token.empty() ? PublishWebhook(request) : PublishBot(request);
  }

  std::optional<PublishResult> Lookup(const PublishRequest&) override {
    // Neither a webhook nor a bot can ask for "the message with this nonce";
    // see docs/connectors/discord.md.
    return std::nullopt;
  }
  bool AnswersLookup() const override { return false; }

 private:
  // The post's images, downloaded: a failure here has posted nothing.
  std::expected<std::vector<FetchedImage>, PublishResult> Images(const PublishRequest& request) const {
    std::vector<FetchedImage> images;
    for (size_t i = 0; i < request.media.size() && i < kMaxAttachments; ++i) {
      auto image = FetchImage(HttpClient(http_), kPlatform, request.media[i], request.now);
      if (!image) return std::unexpected(image.error());
      images.push_back(std::move(*image));
    }
    return images;
  }

  PublishResult PublishWebhook(const PublishRequest& request) {
    auto images = Images(request);
    if (!images) return images.error();
    std::string url = target_.webhook_url + (target_.webhook_url.find('?') == std::string::npos ? "?" : "&") + "wait=true";
    HttpResult answer = Send(MessageRequest(url, {}, MessagePayload(request), *images, request.media));
    if (auto failure = Failure(answer, request.now)) {
      if (failure->http_status == 404)
        failure->why += " (the webhook was deleted: create a new one and update webhook_url)";
      return *failure;
    }
    return Published(*answer, request.now);
  }

  PublishResult PublishBot(const PublishRequest& request) {
    auto images = Images(request);
    if (!images) return images.error();
    json payload = MessagePayload(request);
    payload["nonce"] = NonceFor(request.idempotency_key);
    payload["enforce_nonce"] = true;
    // Built once: a re-sent request is the same bytes, the same nonce.
    const HttpRequest post = MessageRequest(target_.messages_url, {{"Authorization", "Bot " + target_.bot_token}},
                                            std::move(payload), *images, request.media);
    HttpResult answer = Send(post);
    if (!answer && answer.error().kind == HttpFailure::Kind::kNoAnswer) {
      // The same nonce makes Discord return the message if the first request
      // created it, so asking again is safe while the nonce is remembered.
      std::string first = answer.error().message;
      answer = Send(post);
      bool decided = answer && ((answer->status >= 200 && answer->status < 300) ||
                                (answer->status >= 400 && answer->status < 500 && answer->status != 429));
      if (!decided) {
        std::string second = answer ? "HTTP " + std::to_string(answer->status) : answer.error().message;
        return {Kind::kUnknown, {}, {}, std::nullopt,
                "discord: sent, then no answer (" + first + "); asking again with the same nonce: " + second, {},
                answer ? answer->status : 0};
      }
    }
    if (auto failure = Failure(answer, request.now)) return *failure;
    return Published(*answer, request.now);
  }

  HttpResult Send(const HttpRequest& request) const {
    HttpResult answer = HttpClient(http_).Send(request);
    // The webhook URL holds its token: never let it reach a reason or a log.
    if (!answer && !target_.webhook_url.empty()) {
      std::string secret = target_.webhook_url.substr(0, target_.webhook_url.find('?'));
      std::string& message = answer.error().message;
      for (size_t at = message.find(secret); at != std::string::npos; at = message.find(secret, at))
        message.replace(at, secret.size(), "<webhook_url>");
    }
    return answer;
  }

  std::optional<PublishResult> Failure(const HttpResult& answer, Instant now) const {
    auto failure = ReadFailure(kPlatform, answer, now);
    if (failure && answer && failure->kind == Kind::kFailed) {
      auto body = json::parse(answer->body, nullptr, false);
      if (body.is_object() && body.contains("errors"))
        if (auto field = FirstFieldError(body["errors"], "")) failure->why += " (" + *field + ")";
    }
    return failure;
  }

  PublishResult Published(const HttpResponse& answer, Instant now) {
    auto message = json::parse(answer.body, nullptr, false);
    std::string id = StringField(message, "id");
    std::string channel = StringField(message, "channel_id");
    PublishResult out{Kind::kPublished, {}, {}, std::nullopt, {}, HoldAfterSuccess(kPlatform, answer, now), answer.status};
    if (id.empty()) {
      out.why = "discord: the message was created but the answer carried no id";
      return out;
    }
    out.remote_id = channel.empty() ? id : channel + "/" + id;
    if (!channel.empty()) out.remote_url = "https://discord.com/channels/" + GuildId(message) + "/" + channel + "/" + id;
    return out;
  }

  // The guild in message URLs: configured, in the message, or (webhooks)
  // read once from the webhook object. A failure there only costs the URL
  // its guild: "@me" is what Discord itself uses outside guilds.
  std::string GuildId(const json& message) {
    if (!target_.guild_id.empty()) return target_.guild_id;
    if (std::string g = StringField(message, "guild_id"); !g.empty()) return g;
    if (target_.webhook_url.empty()) return "@me";
    std::lock_guard lock(mu_);
    if (learnt_guild_id_.empty()) {
      HttpResult webhook = Send({"GET", target_.webhook_url.substr(0, target_.webhook_url.find('?')), {}, {}, {}});
      if (webhook && webhook->status == 200) learnt_guild_id_ = StringField(json::parse(webhook->body, nullptr, false), "guild_id");
    }
    return learnt_guild_id_.empty() ? "@me" : learnt_guild_id_;
  }

  const Target target_;
  const HttpClientOptions http_;
  std::mutex mu_;
  std::string learnt_guild_id_;  // guarded by mu_
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeDiscordConnector(const policies::ConnectorConfig& config,
                                                        const ConnectorContext& context) {
  auto settings = ConnectorSettings::Read("discord", config, context);
  if (!settings) return std::unexpected(settings.error());
  DiscordConnector::Target target;
  target.guild_id = settings->Get("guild_id").value_or("");
  if (auto webhook = settings->Secret("webhook_url")) {
    if (settings->Secret("bot_token"))
      return Error(Code::kInvalidArgument, "connector discord: takes webhook_url or bot_token, not both");
    target.webhook_url = *webhook;
    // base_url replaces everything before /webhooks/ (a proxy or a test fake).
    auto at = webhook->find("/webhooks/");
    if (!config.base_url.empty() && at != std::string::npos)
      target.webhook_url = settings->BaseUrl("") + webhook->substr(at);
    return std::make_unique<DiscordConnector>(std::move(target), context.http);
  }
  auto token = settings->Require("bot_token");
  if (!token)
    return Error(Code::kInvalidArgument, "connector discord: missing setting webhook_url or bot_token (with channel_id)");
  auto channel = settings->Require("channel_id");
  if (!channel) return std::unexpected(channel.error());
  target.bot_token = *token;
  target.messages_url = settings->BaseUrl("https://discord.com/api/v10") + "/channels/" + PercentEncode(*channel) + "/messages";
  return std::make_unique<DiscordConnector>(std::move(target), context.http);
}

}  // namespace herald::connectors
