#include "tests/connectors/fakes/telegram_fake.h"

#include <nlohmann/json.hpp>

namespace herald::testing {
namespace {

using json = nlohmann::json;

size_t Utf16Units(const std::string& text) {
  size_t units = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) units += c >= 0xF0 ? 2 : 1;
  return units;
}

void Answer(httplib::Response& res, int status, const std::string& description) {
  res.status = status;
  res.set_content(json{{"ok", false}, {"error_code", status}, {"description", description}}.dump(), "application/json");
}

}  // namespace

TelegramFake::TelegramFake(std::string token, std::string chat_id, int64_t numeric_chat_id, std::string username)
    : token_(std::move(token)), chat_id_(std::move(chat_id)), numeric_chat_id_(numeric_chat_id), username_(std::move(username)) {
  server_.server().Post(R"(/bot([^/]+)/(\w+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1] != token_) return Answer(res, 401, "Unauthorized");
    std::string method = req.matches[2];
    if (method != "sendMessage" && method != "sendPhoto" && method != "sendMediaGroup") return Answer(res, 404, "Not Found");
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) return Answer(res, 400, "Bad Request: can't parse JSON object");
    std::string chat;
    if (body.contains("chat_id") && body["chat_id"].is_number_integer()) chat = std::to_string(body["chat_id"].get<int64_t>());
    if (body.contains("chat_id") && body["chat_id"].is_string()) chat = body["chat_id"].get<std::string>();
    if (chat != chat_id_) return Answer(res, 400, "Bad Request: chat not found");

    Message m;
    m.method = method;
    if (method == "sendMessage") {
      m.text = body.value("text", "");
      if (m.text.empty()) return Answer(res, 400, "Bad Request: message text is empty");
      if (Utf16Units(m.text) > 4096) return Answer(res, 400, "Bad Request: message is too long");
    } else if (method == "sendPhoto") {
      if (!body.contains("photo") || !body["photo"].is_string()) return Answer(res, 400, "Bad Request: there is no photo in the request");
      m.photos.push_back(body["photo"].get<std::string>());
      m.text = body.value("caption", "");
    } else {
      if (!body.contains("media") || !body["media"].is_array() || body["media"].size() < 2 || body["media"].size() > 10)
        return Answer(res, 400, "Bad Request: wrong number of media in the group");
      for (const auto& item : body["media"]) {
        if (item.value("type", "") != "photo") return Answer(res, 400, "Bad Request: unsupported media type");
        m.photos.push_back(item.value("media", ""));
        if (m.text.empty()) m.text = item.value("caption", "");
      }
    }
    if (Utf16Units(m.text) > 1024 && method != "sendMessage") return Answer(res, 400, "Bad Request: message caption is too long");

    json chat_json = {{"id", numeric_chat_id_}, {"type", username_.empty() && numeric_chat_id_ > 0 ? "private" : "channel"}};
    if (!username_.empty()) chat_json["username"] = username_;
    json result = json::array();
    {
      std::lock_guard lock(mu_);
      // A media group is one message per photo; the first one stands for the post.
      size_t count = method == "sendMediaGroup" ? m.photos.size() : 1;
      m.message_id = next_id_;
      for (size_t i = 0; i < count; ++i) {
        json message = {{"message_id", next_id_++}, {"date", 1795000000}, {"chat", chat_json}};
        if (method == "sendMessage") message["text"] = m.text;
        if (method != "sendMessage") message["photo"] = json::array({{{"file_id", "AgAC" + std::to_string(i)}, {"width", 800}}});
        if (i == 0 && !m.text.empty() && method != "sendMessage") message["caption"] = m.text;
        if (method == "sendMediaGroup") message["media_group_id"] = "1379" + std::to_string(m.message_id);
        result.push_back(std::move(message));
      }
      messages_.push_back(m);
    }
    json reply = {{"ok", true}, {"result", method == "sendMediaGroup" ? result : result[0]}};
    res.set_content(reply.dump(), "application/json");
  });
  server_.Start();
}

std::vector<TelegramFake::Message> TelegramFake::Messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

}  // namespace herald::testing
