#include "tests/connectors/fakes/discord_fake.h"

#include <nlohmann/json.hpp>

namespace herald::testing {
namespace {

using json = nlohmann::json;

void Error(httplib::Response& res, int status, const std::string& message, int code, json errors = nullptr) {
  res.status = status;
  json body = {{"message", message}, {"code", code}};
  if (!errors.is_null()) body["errors"] = std::move(errors);
  res.set_content(body.dump(), "application/json");
}

json FieldError(const std::string& field, const std::string& code, const std::string& message) {
  return {{field, {{"_errors", json::array({{{"code", code}, {"message", message}}})}}}};
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

DiscordFake::DiscordFake(std::string webhook_token, std::string bot_token)
    : webhook_token_(std::move(webhook_token)), bot_token_(std::move(bot_token)) {
  auto& s = server_.server();
  s.Post(R"(/api/webhooks/(\d+)/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard lock(mu_);
      if (req.matches[1] != kWebhookId || webhook_deleted_) return Error(res, 404, "Unknown Webhook", 10015);
    }
    if (req.matches[2] != webhook_token_) return Error(res, 401, "Invalid Webhook Token", 50027);
    Create(req.body, false, req.get_param_value("wait") == "true", res);
  });
  s.Get(R"(/api/webhooks/(\d+)/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1] != kWebhookId) return Error(res, 404, "Unknown Webhook", 10015);
    if (req.matches[2] != webhook_token_) return Error(res, 401, "Invalid Webhook Token", 50027);
    json webhook = {{"type", 1}, {"id", kWebhookId}, {"name", "herald"}, {"channel_id", kChannelId},
                    {"guild_id", kGuildId}, {"application_id", nullptr}, {"token", webhook_token_}};
    res.set_content(webhook.dump(), "application/json");
  });
  s.Post(R"(/api/v10/channels/(\d+)/messages)", [this](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") != "Bot " + bot_token_) return Error(res, 401, "401: Unauthorized", 0);
    if (req.matches[1] != kChannelId) return Error(res, 404, "Unknown Channel", 10003);
    Create(req.body, true, true, res);
  });
  server_.Start();
}

void DiscordFake::Create(const std::string& text, bool bot, bool wait, httplib::Response& res) {
  auto body = json::parse(text, nullptr, false);
  if (!body.is_object()) return Error(res, 400, "The request body contains invalid JSON.", 50109);
  Message m;
  m.content = body.value("content", "");
  if (body.contains("embeds") && body["embeds"].is_array()) {
    if (body["embeds"].size() > 10)
      return Error(res, 400, "Invalid Form Body", 50035, FieldError("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."));
    for (const auto& e : body["embeds"])
      m.images.emplace_back(e.contains("image") ? e["image"].value("url", "") : "", e.value("description", ""));
  }
  if (m.content.empty() && m.images.empty()) return Error(res, 400, "Cannot send an empty message", 50006);
  if (CodePoints(m.content) > 2000)
    return Error(res, 400, "Invalid Form Body", 50035, FieldError("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."));
  if (bot && body.contains("nonce")) {
    m.nonce = body["nonce"].is_string() ? body["nonce"].get<std::string>() : body["nonce"].dump();
    if (m.nonce.size() > 25)
      return Error(res, 400, "Invalid Form Body", 50035, FieldError("nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."));
  }

  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  size_t index = messages_.size();
  auto seen = nonces_.find(m.nonce);
  if (bot && !m.nonce.empty() && body.value("enforce_nonce", false) && seen != nonces_.end() &&
      now - seen->second.second < std::chrono::minutes{5}) {
    index = seen->second.first;
  } else {
    m.id = std::to_string(next_id_++);
    messages_.push_back(m);
    if (bot && !m.nonce.empty()) nonces_[m.nonce] = {index, now};
    if (remaining_ > 0) --remaining_;
  }
  res.set_header("X-RateLimit-Limit", "5");
  res.set_header("X-RateLimit-Remaining", std::to_string(remaining_));
  res.set_header("X-RateLimit-Reset", reset_);
  res.set_header("X-RateLimit-Reset-After", reset_after_);
  res.set_header("X-RateLimit-Bucket", "abcd1234");
  if (!wait) {
    res.status = 204;
    return;
  }
  const Message& stored = messages_[index];
  json embeds = json::array();
  for (const auto& [url, description] : stored.images) {
    json e = {{"type", "rich"}, {"image", {{"url", url}, {"proxy_url", url}, {"width", 800}, {"height", 600}}}};
    if (!description.empty()) e["description"] = description;
    embeds.push_back(std::move(e));
  }
  json message = {{"id", stored.id}, {"type", 0}, {"content", stored.content}, {"channel_id", kChannelId},
                  {"embeds", embeds}, {"attachments", json::array()}, {"timestamp", "2026-11-23T10:00:00.000000+00:00"}};
  if (bot) {
    message["author"] = {{"id", "1000"}, {"username", "herald-bot"}, {"bot", true}};
    if (!stored.nonce.empty()) message["nonce"] = stored.nonce;
  } else {
    message["webhook_id"] = kWebhookId;
    message["author"] = {{"id", kWebhookId}, {"username", "herald"}, {"bot", true}};
  }
  res.set_content(message.dump(), "application/json");
}

std::string DiscordFake::webhook_url() const {
  return server_.base_url() + "/api/webhooks/" + kWebhookId + "/" + webhook_token_;
}

std::string DiscordFake::bot_base_url() const { return server_.base_url() + "/api/v10"; }

std::vector<DiscordFake::Message> DiscordFake::Messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

void DiscordFake::DeleteWebhook() {
  std::lock_guard lock(mu_);
  webhook_deleted_ = true;
}

void DiscordFake::SetBucket(int remaining, std::string reset_epoch, std::string reset_after) {
  std::lock_guard lock(mu_);
  remaining_ = remaining;
  reset_ = std::move(reset_epoch);
  reset_after_ = std::move(reset_after);
}

}  // namespace herald::testing
