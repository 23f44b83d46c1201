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

// Discord nests field errors by path: "attachments.0.description" is
// {"attachments": {"0": {"description": {"_errors": [...]}}}}.
json FieldError(const std::string& path, const std::string& code, const std::string& message) {
  json node = {{"_errors", json::array({{{"code", code}, {"message", message}}})}};
  std::string rest = path;
  for (auto dot = rest.rfind('.'); dot != std::string::npos; dot = rest.rfind('.')) {
    node = json{{rest.substr(dot + 1), std::move(node)}};
    rest.resize(dot);
  }
  return {{rest, std::move(node)}};
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Whether @everyone or @here in `content` pings, as allowed_mentions says:
// absent, Discord parses every mention; otherwise only what `parse` lists.
bool PingsEveryone(const std::string& content, const json& body) {
  if (content.find("@everyone") == std::string::npos && content.find("@here") == std::string::npos) return false;
  if (!body.contains("allowed_mentions")) return true;
  const json parse = body["allowed_mentions"].value("parse", json::array());
  for (const auto& kind : parse)
    if (kind == "everyone") return true;
  return false;
}

}  // namespace

std::string DiscordFake::ImageBytes(const std::string& name) {
  return std::string("\x89PNG\r\n\x1a\n", 8) + "discord-image:" + name + std::string(32, '\x04');
}

DiscordFake::DiscordFake(std::string webhook_token, std::string bot_token)
    : webhook_token_(std::move(webhook_token)), bot_token_(std::move(bot_token)) {
  auto& s = server_.server();
  s.Post(R"(/api/webhooks/(\d+)/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard lock(mu_);
      if (req.matches[1] != kWebhookId || webhook_deleted_) return Error(res, 404, "Unknown Webhook", 10015);
    }
    if (req.matches[2] != webhook_token_) return Error(res, 401, "Invalid Webhook Token", 50027);
    Create(req, false, req.get_param_value("wait") == "true", res);
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
    Create(req, true, true, res);
  });
  s.Get(R"(/images/(.+))", [](const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1] == "missing.png") {
      res.status = 404;
      return res.set_content("not found", "text/plain");
    }
    res.set_content(ImageBytes(req.matches[1]), "image/png");
  });
  server_.Start();
}

void DiscordFake::Create(const httplib::Request& req, bool bot, bool wait, httplib::Response& res) {
  json body;
  std::map<std::string, httplib::MultipartFormData> files;  // by placeholder id n of files[n]
  if (req.is_multipart_form_data()) {
    json fields = json::object();  // the form fields of a body without payload_json
    bool has_payload = false;
    Form form;
    for (const auto& [name, part] : req.files) form[name] = {part.filename, part.content_type, part.content};
    {
      std::lock_guard lock(mu_);
      forms_.push_back(std::move(form));
    }
    for (const auto& [name, part] : req.files) {
      if (name == "payload_json") {
        body = json::parse(part.content, nullptr, false);
        has_payload = true;
      } else if (name.starts_with("files[") && name.ends_with("]")) {
        if (part.filename.empty())
          return Error(res, 400, "Invalid Form Body", 50035, FieldError(name, "BASE_TYPE_REQUIRED", "This field is required"));
        files[name.substr(6, name.size() - 7)] = part;
      } else {
        fields[name] = part.content;
      }
    }
    if (!has_payload) body = std::move(fields);
  } else {
    body = json::parse(req.body, nullptr, false);
  }
  if (!body.is_object()) return Error(res, 400, "The request body contains invalid JSON.", 50109);
  Message m;
  m.content = body.value("content", "");
  if (body.contains("allowed_mentions")) m.allowed_mentions = body["allowed_mentions"].dump();
  m.mention_everyone = PingsEveryone(m.content, body);
  if (files.size() > 10)
    return Error(res, 400, "Invalid Form Body", 50035, FieldError("files", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."));
  if (body.contains("attachments")) {
    if (!body["attachments"].is_array()) return Error(res, 400, "Invalid Form Body", 50035, FieldError("attachments", "MODEL_TYPE_CONVERT", "Not an array."));
    for (size_t i = 0; i < body["attachments"].size(); ++i) {
      const json& a = body["attachments"][i];
      std::string at = "attachments." + std::to_string(i);
      std::string id = a.is_object() && a.contains("id") ? (a["id"].is_string() ? a["id"].get<std::string>() : a["id"].dump()) : "";
      auto file = files.find(id);
      if (file == files.end())
        return Error(res, 400, "Invalid Form Body", 50035, FieldError(at + ".id", "ATTACHMENT_NOT_FOUND", "Attachment data not found"));
      std::string description = a.value("description", "");
      if (CodePoints(description) > 1024)
        return Error(res, 400, "Invalid Form Body", 50035,
                     FieldError(at + ".description", "BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length."));
      m.attachments.push_back({{}, a.value("filename", file->second.filename), description, file->second.content_type,
                               file->second.content});
      files.erase(file);
    }
  }
  // Files the attachments did not describe are attached as they are.
  for (const auto& [id, part] : files) m.attachments.push_back({{}, part.filename, {}, part.content_type, part.content});
  if (body.contains("embeds") && body["embeds"].is_array()) {
    if (body["embeds"].size() > 10)
      return Error(res, 400, "Invalid Form Body", 50035, FieldError("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."));
    for (const auto& e : body["embeds"])
      m.images.emplace_back(e.contains("image") ? e["image"].value("url", "") : "", e.value("description", ""));
  }
  if (m.content.empty() && m.images.empty() && m.attachments.empty())
    return Error(res, 400, "Cannot send an empty message", 50006);
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
    for (auto& a : m.attachments) a.id = std::to_string(next_id_++);
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
  json attachments = json::array();
  for (const auto& a : stored.attachments) {
    std::string url = "https://cdn.discordapp.com/attachments/" + std::string(kChannelId) + "/" + a.id + "/" + a.filename;
    json item = {{"id", a.id}, {"filename", a.filename}, {"size", a.bytes.size()}, {"url", url}, {"proxy_url", url},
                 {"content_type", a.content_type}};
    if (!a.description.empty()) item["description"] = a.description;
    attachments.push_back(std::move(item));
  }
  json message = {{"id", stored.id}, {"type", 0}, {"content", stored.content}, {"channel_id", kChannelId},
                  {"embeds", embeds}, {"attachments", attachments}, {"mention_everyone", stored.mention_everyone},
                  {"timestamp", "2026-11-23T10:00:00.000000+00:00"}};
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

std::vector<DiscordFake::Form> DiscordFake::Forms() const {
  std::lock_guard lock(mu_);
  return forms_;
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
