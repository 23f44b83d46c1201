#include "tests/connectors/fakes/slack_fake.h"

#include <nlohmann/json.hpp>

namespace herald::testing {
namespace {

using json = nlohmann::json;

void Reply(httplib::Response& res, json body) { res.set_content(body.dump(), "application/json; charset=utf-8"); }
void Fail(httplib::Response& res, const std::string& error) { Reply(res, {{"ok", false}, {"error", error}}); }

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Slack keeps the three entities it documents as they are and escapes a bare
// &, < or > (which would otherwise be markup).
std::string Escape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    std::string_view rest(text.data() + i, text.size() - i);
    if (c == '&' && (rest.starts_with("&amp;") || rest.starts_with("&lt;") || rest.starts_with("&gt;"))) out.push_back(c);
    else if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out.push_back(c);
  }
  return out;
}

std::string Param(const httplib::Request& req, const json& body, const std::string& name) {
  if (req.has_param(name.c_str())) return req.get_param_value(name.c_str());
  return body.is_object() && body.contains(name) && body[name].is_string() ? body[name].get<std::string>() : "";
}

}  // namespace

SlackFake::SlackFake(std::string token, std::string channel_id, int64_t epoch)
    : token_(std::move(token)), channel_(std::move(channel_id)), epoch_(epoch) {
  auto& s = server_.server();
  s.Post("/api/chat.postMessage", [this](const httplib::Request& req, httplib::Response& res) { PostMessage(req, res); });
  auto permalink = [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res)) return;
    auto body = json::parse(req.body, nullptr, false);
    std::string channel = Param(req, body, "channel");
    std::string ts = Param(req, body, "message_ts");
    if (channel != channel_) return Fail(res, "channel_not_found");
    std::lock_guard lock(mu_);
    for (const auto& m : messages_) {
      if (m.ts != ts) continue;
      std::string p = ts;
      p.erase(p.find('.'), 1);
      return Reply(res, {{"ok", true}, {"channel", channel_}, {"permalink", "https://herald-test.slack.com/archives/" + channel_ + "/p" + p}});
    }
    Fail(res, "message_not_found");
  };
  s.Get("/api/chat.getPermalink", permalink);
  s.Post("/api/chat.getPermalink", permalink);
  s.Get("/api/conversations.history", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req, res)) return;
    if (req.get_param_value("channel") != channel_) return Fail(res, "channel_not_found");
    double oldest = req.has_param("oldest") ? std::stod(req.get_param_value("oldest")) : 0;
    json messages = json::array();
    std::lock_guard lock(mu_);
    for (auto it = messages_.rbegin(); it != messages_.rend(); ++it)
      if (std::stod(it->ts) > oldest)
        messages.push_back({{"type", "message"}, {"user", "U0HERALD"}, {"bot_id", "B0HERALD"}, {"text", it->text}, {"ts", it->ts}});
    Reply(res, {{"ok", true}, {"messages", messages}, {"has_more", false}});
  });
  server_.Start();
}

bool SlackFake::Authorized(const httplib::Request& req, httplib::Response& res) const {
  std::string auth = req.get_header_value("Authorization");
  if (auth.empty()) {
    Fail(res, "not_authed");
    return false;
  }
  if (auth != "Bearer " + token_) {
    Fail(res, "invalid_auth");
    return false;
  }
  return true;
}

void SlackFake::PostMessage(const httplib::Request& req, httplib::Response& res) {
  if (!Authorized(req, res)) return;
  auto body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) return Fail(res, "invalid_json");
  if (body.value("channel", "") != channel_) return Fail(res, "channel_not_found");
  Message m;
  std::string text = body.value("text", "");
  if (body.contains("blocks")) {
    if (!body["blocks"].is_array()) return Fail(res, "invalid_blocks");
    for (const auto& b : body["blocks"]) {
      std::string type = b.value("type", "");
      if (type == "section") {
        std::string t = b.contains("text") ? b["text"].value("text", "") : "";
        if (CodePoints(t) > 3000 || t.empty()) return Fail(res, "invalid_blocks");
        m.sections.push_back(t);
      } else if (type == "image") {
        if (b.value("image_url", "").empty() || b.value("alt_text", "").empty()) return Fail(res, "invalid_blocks");
        m.images.emplace_back(b["image_url"], b["alt_text"]);
      } else {
        return Fail(res, "invalid_blocks");
      }
    }
  } else if (text.empty()) {
    return Fail(res, "no_text");
  }
  if (CodePoints(text) > 40000) return Fail(res, "msg_too_long");
  m.text = Escape(text);
  std::lock_guard lock(mu_);
  char ts[32];
  std::snprintf(ts, sizeof ts, "%lld.%06lld", static_cast<long long>(epoch_), static_cast<long long>(sequence_++));
  m.ts = ts;
  messages_.push_back(m);
  Reply(res, {{"ok", true}, {"channel", channel_}, {"ts", m.ts},
              {"message", {{"type", "message"}, {"text", m.text}, {"bot_id", "B0HERALD"}, {"ts", m.ts}}}});
}

std::vector<SlackFake::Message> SlackFake::Messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

}  // namespace herald::testing
